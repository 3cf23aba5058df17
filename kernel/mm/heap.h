// The kernel heap: size-classed slabs for small blocks, whole frames for large ones.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "mm/frame_allocator.h"

namespace atoll_os::kernel {

/// Blocks of up to kMaxSmallSize bytes come from 4 KiB slab pages of one size class each;
/// larger blocks get contiguous frames. Every block is aligned to at least 16 bytes.
/// A page that becomes entirely free goes back to the frame allocator. Not thread-safe.
class Heap {
 public:
  static constexpr size_t kMaxSmallSize = 2048;
  static constexpr size_t kMaxAlign = 64;

  struct Stats {
    size_t blocks_in_use = 0;
    size_t bytes_requested = 0;  // sum of sizes asked for by live blocks
    size_t frames_held = 0;      // frames taken from the frame allocator
  };

  Heap(FrameAllocator& frames, PhysicalWindow window) : frames_(&frames), window_(window) {}
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  /// A block of `size` bytes aligned to `align` (a power of two <= kMaxAlign); nullptr for
  /// size 0, a bad alignment, or when memory runs out.
  void* allocate(size_t size, size_t align = 16);
  /// Frees a block from allocate(); nullptr is ignored. Returns false, changing nothing,
  /// for a pointer this heap did not hand out or a block already free.
  bool free(void* block);

  const Stats& stats() const { return stats_; }

 private:
  struct SlabHeader;
  static constexpr size_t kClassCount = 8;  // 16, 32, ..., 2048

  SlabHeader* new_slab(size_t class_index);
  void* allocate_large(size_t size);
  bool free_large(SlabHeader* header, void* block);

  FrameAllocator* frames_;
  PhysicalWindow window_;
  SlabHeader* partial_[kClassCount] = {};  // slabs with at least one free block
  Stats stats_;
};

}  // namespace atoll_os::kernel
