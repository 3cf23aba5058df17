// The kernel's physical memory: the frame allocator built from the boot memory map, and the heap.
#pragma once

#include "boot/multiboot2.h"
#include "mm/frame_allocator.h"
#include "mm/heap.h"

namespace atoll_os::kernel {

/// Builds the frame allocator from `boot`'s memory map, keeping out the first MiB, the
/// kernel image, the boot information itself and every module; then the kernel page
/// tables and the heap. Panics if memory cannot be set up: nothing can run without it.
void memory_init(const BootInfo& boot, MemoryRange boot_info_range);

FrameAllocator& frame_allocator();
Heap& kernel_heap();

}  // namespace atoll_os::kernel
