// The kernel's physical memory: frame allocator, kernel address space and heap.
#include "mm/kernel_memory.h"

#include <new>

#include "arch/x86_64/kernel_address_space.h"
#include "arch/x86_64/memory_layout.h"
#include "log.h"
#include "mm/user_frames.h"
#include "panic.h"

namespace atoll_os::kernel {
namespace {

constexpr uint64_t kLowMemoryEnd = 0x100000;  // BIOS data, VGA, option ROMs

FrameAllocator frames;
alignas(Heap) uint8_t heap_storage[sizeof(Heap)];
Heap* heap = nullptr;

size_t collect_reserved(const BootInfo& boot, MemoryRange boot_info_range, MemoryRange* reserved,
                        size_t capacity) {
  size_t n = 0;
  auto add = [&](MemoryRange r) {
    if (n < capacity) reserved[n++] = r;
  };
  add({0, kLowMemoryEnd});
  uint64_t image_start = KERNEL_PHYSICAL_LOAD;
  uint64_t image_end = reinterpret_cast<uint64_t>(__kernel_image_end) - x86_64::kKernelVirtualBase;
  add({image_start, image_end - image_start});
  add(boot_info_range);
  for (const BootModule& m : boot.module_list()) add({m.start, m.end - m.start});
  if (n == capacity) panic("memory: too many reserved ranges");
  return n;
}

}  // namespace

void memory_init(const BootInfo& boot, MemoryRange boot_info_range) {
  MemoryRange reserved[BootInfo::kMaxModules + 4];
  size_t count =
      collect_reserved(boot, boot_info_range, reserved, sizeof(reserved) / sizeof(reserved[0]));
  auto created =
      FrameAllocator::create(boot.usable_ranges(), {reserved, count}, x86_64::kDirectMap);
  if (!created.ok())
    panic("memory: cannot build the frame allocator: %s", error_name(created.error()));
  frames = created.release_value();
  log_info("memory: %zu frames free of %zu usable (%zu MiB), bitmap at 0x%lx", frames.free_frames(),
           frames.usable_frames(), frames.usable_frames() * kPageSize >> 20,
           frames.bitmap_range().base);

  uint64_t physical_top = 0;
  for (const MemoryRange& r : boot.usable_ranges())
    physical_top = r.end() > physical_top ? r.end() : physical_top;
  x86_64::build_kernel_address_space(frames, physical_top);

  heap = new (heap_storage) Heap(frames, x86_64::kDirectMap);
  if (!user_frames().init(frames, physical_top).ok()) panic("memory: no room for frame counts");
}

FrameAllocator& frame_allocator() {
  return frames;
}

Heap& kernel_heap() {
  if (heap == nullptr) panic("heap used before memory_init");
  return *heap;
}

}  // namespace atoll_os::kernel
