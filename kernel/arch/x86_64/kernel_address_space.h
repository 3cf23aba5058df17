// The kernel's own page tables: a direct map of all RAM and the image with per-section rights.
#pragma once

#include "arch/x86_64/page_table.h"

namespace atoll_os::kernel::x86_64 {

/// Builds the kernel page tables and switches to them: [0, physical_top) at the direct-map
/// base (writable, not executable), .text read-only executable, .rodata read-only, data
/// and bss writable. The boot-time identity map is gone afterwards. Panics on failure.
void build_kernel_address_space(FrameAllocator& frames, PhysAddr physical_top);
PageTable& kernel_page_table();

}  // namespace atoll_os::kernel::x86_64
