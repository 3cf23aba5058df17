// The kernel's only loader: init's image, stack, boot modules and handles.
#include "boot/init_loader.h"

#include "arch/x86_64/memory_layout.h"
#include "atoll/abi/process.h"
#include "atoll/elf.h"
#include "log.h"
#include "mm/user_access.h"
#include "object/irq_line.h"
#include "object/task.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

constexpr uint64_t kInitStackPages = 16;
constexpr uint8_t kInitPriority = 20;
constexpr uint64_t kMaxImageBytes = 64ull << 20;

std::span<const uint8_t> module_bytes(const BootModule& m) {
  return {x86_64::kDirectMap.at<const uint8_t>(m.start), size_t(m.end - m.start)};
}

uint32_t segment_flags(uint32_t elf_flags) {
  uint32_t flags = 0;
  if (elf_flags & elf::kSegmentWrite) flags |= abi::kVmWrite;
  if (elf_flags & elf::kSegmentExecute) flags |= abi::kVmExecute;
  return flags;
}

// Maps fresh pages writable, fills them, then sets the final rights.
Result<void> load_bytes(Task& task, uint64_t vaddr, uint64_t memory_size,
                        std::span<const uint8_t> bytes, uint32_t final_flags) {
  uint64_t start = align_down(vaddr, kPageSize);
  uint64_t pages = (align_up(vaddr + memory_size, kPageSize) - start) / kPageSize;
  TRY(task.map_zeroed(start, pages, abi::kVmWrite));
  TRY(copy_to_user(task, vaddr, bytes.data(), bytes.size()));
  return task.protect(start, pages, final_flags);
}

Result<uint64_t> load_image(Task& task, std::span<const uint8_t> file) {
  elf::Limits limits{abi::kUserImageBase, abi::kUserHeapBase, kMaxImageBytes};
  elf::Image image = TRY(elf::parse_executable(file, limits));
  for (const elf::Segment& s : image.segment_list()) {
    TRY(load_bytes(task, s.vaddr, s.memory_size, file.subspan(s.file_offset, s.file_size),
                   segment_flags(s.flags)));
  }
  return image.entry;
}

Result<void> map_modules(Task& task, const BootInfo& boot) {
  abi::BootModuleTable table{};
  size_t n = boot.command_line.size() < sizeof(table.command_line) - 1
                 ? boot.command_line.size()
                 : sizeof(table.command_line) - 1;
  __builtin_memcpy(table.command_line, boot.command_line.data(), n);
  uint64_t next = abi::kBootModuleTableAddress + kPageSize;
  for (const BootModule& m : boot.module_list()) {
    if (table.count == sizeof(table.modules) / sizeof(table.modules[0])) break;
    if (m.name == "kernel.sym" || m.end == m.start) continue;
    abi::BootModuleEntry& e = table.modules[table.count++];
    e.address = next;
    e.size = m.end - m.start;
    size_t name_length = m.name.size() < sizeof(e.name) - 1 ? m.name.size() : sizeof(e.name) - 1;
    __builtin_memcpy(e.name, m.name.data(), name_length);
    TRY(load_bytes(task, next, e.size, module_bytes(m), abi::kVmRead));
    next = align_up(next + e.size, kPageSize);
  }
  std::span<const uint8_t> bytes{reinterpret_cast<const uint8_t*>(&table), sizeof(table)};
  return load_bytes(task, abi::kBootModuleTableAddress, kPageSize, bytes, abi::kVmRead);
}

Result<void> give_boot_handles(Task& task, Thread& thread) {
  HandleTable& h = task.handles();
  TRY(h.add_at(abi::kBootSelfTask, &task, abi::kRightsAll));
  TRY(h.add_at(abi::kBootSelfThread, &thread, abi::kRightsAll));
  for (uint8_t irq = 0; irq < IrqLine::kLines; ++irq) {
    if (IrqLine* line = IrqLine::line(irq))
      TRY(h.add_at(abi::kBootIrqBase + irq, line, abi::kRightsAll));
  }
  IoPorts* ports = IoPorts::create();
  auto added = h.add_at(abi::kBootIoPorts, ports, abi::kRightsAll);
  ports->release();
  TRY(added);
  DmaMemory* dma = DmaMemory::create();
  auto dma_added = h.add_at(abi::kBootDma, dma, abi::kRightsAll);
  dma->release();
  return dma_added;
}

}  // namespace

Result<void> start_init(const BootInfo& boot, std::string_view name) {
  BootModule module = TRY(boot.module(name));
  Task* task = TRY(Task::create(nullptr, 0, nullptr, 0));
  Ref<Task> hold = Ref<Task>::adopt(task);
  uint64_t entry = TRY(load_image(*task, module_bytes(module)));
  uint64_t stack_bottom = abi::kUserStackTop - kInitStackPages * kPageSize;
  TRY(task->map_zeroed(stack_bottom, kInitStackPages, abi::kVmWrite));
  TRY(map_modules(*task, boot));
  Thread* thread =
      TRY(Thread::create_user(*task, entry, abi::kUserStackTop, abi::kBootModuleTableAddress));
  Ref<Thread> hold_thread = Ref<Thread>::adopt(thread);
  TRY(give_boot_handles(*task, *thread));
  task->add_thread(*thread);
  thread->set_priority(kInitPriority);
  Task::set_init(task);
  make_ready(*thread);
  log_info("init: '%.*s' is task %lu, entered at 0x%lx, %zu modules", int(name.size()), name.data(),
           task->id(), entry, boot.module_count);
  return success();
}

}  // namespace atoll_os::kernel
