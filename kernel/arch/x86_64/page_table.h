// x86-64 4-level page tables, walked through a PhysicalWindow so host tests can use fake RAM.
#pragma once

#include <stdint.h>

#include "atoll/result.h"
#include "mm/frame_allocator.h"
#include "mm/memory_range.h"

namespace atoll_os::kernel::x86_64 {

/// Architecture-neutral mapping attributes; translated to PTE bits by the table.
enum PageFlags : uint32_t {
  kPageReadOnly = 0,
  kPageWritable = 1u << 0,
  kPageUser = 1u << 1,
  kPageExecutable = 1u << 2,  // absent: the NX bit is set
  kPageGlobal = 1u << 3,
  kPageUncached = 1u << 4,  // PCD|PWT, for device memory
};

enum class PageSize : uint8_t { k4K, k2M, k1G };

constexpr uint64_t page_size_bytes(PageSize s) {
  return s == PageSize::k4K ? kPageSize : s == PageSize::k2M ? kLargePageSize : kHugePageSize;
}

/// A leaf mapping found by translate().
struct Translation {
  PhysAddr physical;  // the physical address of the queried byte
  uint32_t flags;     // PageFlags
  PageSize size;
  bool accessed;
  bool dirty;
};

/// One address space's page tables. Intermediate tables are allocated from `frames` and
/// zeroed; they are created with the most permissive rights (writable, user if the leaf is
/// user) so that leaf entries alone decide access. Not thread-safe.
class PageTable {
 public:
  /// Adopts an existing root table (e.g. a PML4 built earlier).
  PageTable(PhysAddr root, PhysicalWindow window, FrameAllocator& frames)
      : root_(root), window_(window), frames_(&frames) {}
  /// Allocates a new, zeroed root table.
  static Result<PageTable> create(PhysicalWindow window, FrameAllocator& frames);

  /// Maps one page. kInvalidArgument if `virt` is non-canonical or either address is not
  /// aligned to `size`; kAlreadyExists if any part of the page is already mapped (by a
  /// leaf of any size); kOutOfMemory if a table cannot be allocated.
  Result<void> map(uint64_t virt, PhysAddr phys, uint32_t flags, PageSize size = PageSize::k4K);
  /// Maps [virt, virt+length) to [phys, ...) with the largest pages that alignment allows,
  /// up to `max_size`. `length` must be a multiple of kPageSize. Stops at the first error.
  Result<void> map_range(uint64_t virt, PhysAddr phys, uint64_t length, uint32_t flags,
                         PageSize max_size = PageSize::k2M);
  /// Removes the leaf mapping that starts at `virt` and returns its physical base.
  /// kNotFound if nothing is mapped there; kInvalidArgument if `virt` is inside a large
  /// page but not its start. Empty tables are kept. The caller flushes the TLB.
  Result<PhysAddr> unmap(uint64_t virt);
  /// Changes the flags of the leaf mapping containing `virt`. kNotFound if unmapped.
  Result<void> protect(uint64_t virt, uint32_t flags);
  /// The mapping of `virt`; kNotFound if unmapped, kInvalidArgument if non-canonical.
  Result<Translation> translate(uint64_t virt) const;

  PhysAddr root() const { return root_; }

 private:
  Result<uint64_t*> walk_to_table(uint64_t virt, int target_level, bool create, uint32_t flags);

  PhysAddr root_;
  PhysicalWindow window_;
  FrameAllocator* frames_;
};

constexpr bool is_canonical(uint64_t virt) {
  uint64_t top = virt >> 47;
  return top == 0 || top == 0x1ffff;
}

}  // namespace atoll_os::kernel::x86_64
