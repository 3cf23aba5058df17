// The kernel's virtual memory layout, from the constants the boot assembly also uses.
#pragma once

#include <stdint.h>

#include "../../../boot/layout.h"
#include "mm/memory_range.h"

namespace atoll_os::kernel::x86_64 {

inline constexpr uint64_t kKernelVirtualBase = KERNEL_VIRTUAL_BASE;
inline constexpr uint64_t kDirectMapBase = DIRECT_MAP_BASE;
inline constexpr PhysicalWindow kDirectMap{kDirectMapBase};

}  // namespace atoll_os::kernel::x86_64

// Linker-script symbols bounding the kernel image's sections (virtual addresses).
extern "C" char __kernel_image_start[], __kernel_image_end[];
extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern "C" char __data_start[], __data_end[];
extern "C" char kernel_boot_stack_bottom[], kernel_boot_stack_top[];
