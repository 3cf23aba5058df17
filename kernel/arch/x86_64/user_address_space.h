// The user half of an address space: creating it beside the shared kernel half, walking
// its leaves, tearing it down.
#pragma once

#include <stdint.h>

#include "atoll/result.h"
#include "mm/frame_allocator.h"

namespace atoll_os::kernel::x86_64 {

/// A new PML4 with an empty user half and the kernel half shared with the kernel tables.
Result<PhysAddr> create_user_root(FrameAllocator& frames);
/// Frees every table of the user half and calls `release_leaf` for each mapped frame;
/// then frees the root. The root must not be loaded in CR3.
void destroy_user_root(PhysAddr root, FrameAllocator& frames, void (*release_leaf)(PhysAddr));
/// The 4 KiB leaf entry mapping `virt`, or nullptr if no such present leaf exists.
uint64_t* user_leaf_entry(PhysAddr root, uint64_t virt);
/// The same, and when there is no entry, `*absent_pages` says how many pages from `virt` on
/// have none either (to the end of the table that is missing), so a scan can skip them.
uint64_t* user_leaf_entry(PhysAddr root, uint64_t virt, uint64_t* absent_pages);

inline constexpr uint64_t kPteAccessed = 1u << 5;
inline constexpr uint64_t kPteDirty = 1u << 6;

}  // namespace atoll_os::kernel::x86_64
