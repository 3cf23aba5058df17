// Copying an executable's segments into a new task page by page, and sharing the modules.
#include "eager_loader.h"

#include "../lib/boot_modules.h"
#include "../lib/image_pages.h"
#include "../lib/region_plan.h"
#include "../lib/task_pages.h"
#include "atoll/abi/process.h"
#include "atoll/elf.h"
#include "atoll/user/cstring.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::servers::init {
namespace {

Result<void> map_segment(abi::Handle self, abi::Handle task, const elf::Segment& segment,
                         const uint8_t* file) {
  FileBacking backing{segment.vaddr, segment.file_offset, segment.file_size};
  uint32_t flags = vm_flags_of_segment(segment.flags);
  uint64_t end = page_ceil(segment.vaddr + segment.memory_size);
  for (uint64_t page = page_floor(segment.vaddr); page < end; page += kPageSize) {
    PageCopy copy = page_copy(backing, page);
    TRY(map_filled_page(self, task, page, flags, [&](uint8_t* bytes) {
      memcpy(bytes + copy.page_offset, file + copy.source_offset, copy.length);
    }));
  }
  return success();
}

Result<void> populate(abi::Handle self, abi::Handle task, const ProcessSpec& spec,
                      const EagerMemory& memory, const elf::Image& image, const uint8_t* file,
                      const char** reason) {
  *reason = "could not map the image";
  for (const elf::Segment& segment : image.segment_list()) {
    TRY(map_segment(self, task, segment, file));
  }
  *reason = "could not map the stack and heap";
  uint64_t stack_bottom = abi::kUserStackTop - memory.stack_pages * kPageSize;
  TRY(user::vm_map_zeroed(task, stack_bottom, memory.stack_pages, abi::kVmWrite));
  TRY(user::vm_map_zeroed(task, abi::kUserHeapBase, memory.heap_pages, abi::kVmWrite));
  *reason = "could not share the boot modules";
  TRY(share_boot_modules(self, task, *spec.modules));
  return write_start_page(self, task, spec, reason);
}

}  // namespace

Result<void> share_boot_modules(abi::Handle self, abi::Handle task,
                                const abi::BootModuleTable& table) {
  TRY(user::vm_share(self, abi::kBootModuleTableAddress, task, abi::kBootModuleTableAddress, 1,
                     abi::kVmRead));
  for (size_t i = 0; i < module_count(table); ++i) {
    const abi::BootModuleEntry& module = table.modules[i];
    if (module.size == 0) continue;
    TRY(user::vm_share(self, module.address, task, module.address, pages_in(module.size),
                       abi::kVmRead));
  }
  return success();
}

Result<EagerProcess> load_eager(abi::Handle self, const ProcessSpec& spec,
                                const EagerMemory& memory, const char** reason) {
  *reason = "no such module";
  Module module = TRY(find_module(*spec.modules, spec.module));
  *reason = "not an executable this system runs";
  elf::Image image = TRY(elf::parse_executable(module.bytes, kImageLimits));
  *reason = "could not create the task";
  abi::Handle task =
      TRY(user::task_create(abi::kNoHandle, spec.death_notification, spec.death_bits));
  Result<void> populated = populate(self, task, spec, memory, image, module.bytes.data(), reason);
  Result<abi::Handle> thread =
      populated.ok()
          ? user::thread_create(task, image.entry, abi::kUserStackTop, abi::kProcessStartAddress)
          : Err(populated.error());
  if (!thread.ok()) {
    if (populated.ok()) *reason = "could not create the first thread";
    (void)user::task_kill(task, -1);
    (void)user::handle_close(task);
    return Err(thread.error());
  }
  return EagerProcess{task, *thread};
}

}  // namespace atoll_os::servers::init
