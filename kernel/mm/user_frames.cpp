// Reference-counted user frames.
#include "mm/user_frames.h"

#include "arch/x86_64/memory_layout.h"

namespace atoll_os::kernel {
namespace {

UserFrames instance;
constexpr uint16_t kMaxShares = 0xffff;

}  // namespace

UserFrames& user_frames() {
  return instance;
}

Result<void> UserFrames::init(FrameAllocator& frames, PhysAddr physical_top) {
  frames_ = &frames;
  frame_count_ = physical_top / kPageSize;
  uint64_t bytes = align_up(frame_count_ * sizeof(uint16_t), kPageSize);
  PhysAddr base = TRY(frames.allocate_contiguous(bytes / kPageSize));
  counts_ = x86_64::kDirectMap.at<uint16_t>(base);
  __builtin_memset(counts_, 0, bytes);
  return success();
}

Result<PhysAddr> UserFrames::allocate_zeroed() {
  PhysAddr frame = TRY(frames_->allocate());
  __builtin_memset(x86_64::kDirectMap.at(frame), 0, kPageSize);
  counts_[frame / kPageSize] = 1;
  ++in_use_;
  return frame;
}

Result<PhysAddr> UserFrames::allocate_contiguous_zeroed(size_t count) {
  PhysAddr first = TRY(frames_->allocate_contiguous(count));
  __builtin_memset(x86_64::kDirectMap.at(first), 0, count * kPageSize);
  for (size_t i = 0; i < count; ++i) counts_[first / kPageSize + i] = 1;
  in_use_ += count;
  return first;
}

bool UserFrames::is_user_frame(PhysAddr frame) const {
  uint64_t index = frame / kPageSize;
  return frame % kPageSize == 0 && index < frame_count_ && counts_[index] != 0;
}

Result<void> UserFrames::share(PhysAddr frame) {
  if (!is_user_frame(frame)) return Err(Error::kInvalidArgument);
  uint16_t& count = counts_[frame / kPageSize];
  if (count == kMaxShares) return Err(Error::kOutOfRange);
  ++count;
  return success();
}

void UserFrames::release(PhysAddr frame) {
  if (!is_user_frame(frame)) return;
  if (--counts_[frame / kPageSize] == 0) {
    (void)frames_->free(frame);
    --in_use_;
  }
}

}  // namespace atoll_os::kernel
