// The physical frame allocator: a bitmap over every 4 KiB frame of usable RAM.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/result.h"
#include "mm/memory_range.h"

namespace atoll_os::kernel {

/// One bit per frame between the lowest usable address and the highest; a set bit means
/// the frame is not available (allocated, reserved, or not RAM). Not thread-safe: the
/// caller serialises access.
class FrameAllocator {
 public:
  FrameAllocator() = default;
  FrameAllocator(const FrameAllocator&) = delete;
  FrameAllocator& operator=(const FrameAllocator&) = delete;
  FrameAllocator(FrameAllocator&&) = default;
  FrameAllocator& operator=(FrameAllocator&&) = default;

  /// Frames inside `usable` (rounded inwards to whole frames) and outside every `reserved`
  /// range (rounded outwards) become free. The bitmap itself is placed in the first
  /// usable, unreserved space large enough, reached through `window`, and marked used.
  /// Errors: kInvalidArgument if no usable frame; kOutOfMemory if the bitmap fits nowhere.
  static Result<FrameAllocator> create(std::span<const MemoryRange> usable,
                                       std::span<const MemoryRange> reserved,
                                       PhysicalWindow window);

  /// One frame (not zeroed). kOutOfMemory when none is free.
  Result<PhysAddr> allocate();
  /// `count` physically contiguous frames whose first frame is aligned to `align` bytes
  /// (a power of two, at least kPageSize). kInvalidArgument / kOutOfMemory.
  Result<PhysAddr> allocate_contiguous(size_t count, uint64_t align = kPageSize);
  /// Returns a frame. kInvalidArgument if unaligned or outside the allocator's span,
  /// kNotFound if the frame is already free (a double free; the bitmap is left unchanged).
  Result<void> free(PhysAddr frame);
  Result<void> free_contiguous(PhysAddr first, size_t count);

  /// True if `frame` is currently handed out or reserved.
  bool is_used(PhysAddr frame) const;
  size_t free_frames() const { return free_frames_; }
  size_t usable_frames() const { return usable_frames_; }
  MemoryRange bitmap_range() const { return bitmap_range_; }

 private:
  uint64_t* bitmap_ = nullptr;
  PhysAddr first_frame_ = 0;  // physical address of bit 0
  size_t frame_count_ = 0;    // bits in the bitmap
  size_t free_frames_ = 0;
  size_t usable_frames_ = 0;
  size_t next_hint_ = 0;  // word index where the next search starts
  MemoryRange bitmap_range_;
};

}  // namespace atoll_os::kernel
