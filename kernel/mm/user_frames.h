// Frames mapped into user tasks: allocated zeroed, shared by reference count, freed at zero.
#pragma once

#include <stdint.h>

#include "atoll/result.h"
#include "mm/frame_allocator.h"

namespace atoll_os::kernel {

/// One 16-bit count per frame of RAM. A user frame is freed to the frame allocator when
/// its last mapping goes. Only frames from allocate_zeroed() are ever counted, so user
/// space can never be handed a kernel frame.
class UserFrames {
 public:
  /// Sizes the count array for every frame below `physical_top`.
  Result<void> init(FrameAllocator& frames, PhysAddr physical_top);
  Result<PhysAddr> allocate_zeroed();
  /// `count` physically contiguous zeroed frames, each counted like allocate_zeroed()'s.
  Result<PhysAddr> allocate_contiguous_zeroed(size_t count);
  /// One more mapping of `frame`. kInvalidArgument if it is not a user frame or the
  /// count would overflow.
  Result<void> share(PhysAddr frame);
  /// One mapping fewer; frees the frame at zero.
  void release(PhysAddr frame);
  bool is_user_frame(PhysAddr frame) const;
  uint64_t frames_in_use() const { return in_use_; }

 private:
  FrameAllocator* frames_ = nullptr;
  uint16_t* counts_ = nullptr;
  uint64_t frame_count_ = 0;
  uint64_t in_use_ = 0;
};

UserFrames& user_frames();

}  // namespace atoll_os::kernel
