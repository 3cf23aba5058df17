// Tests for the bitmap frame allocator over fake physical memory.
#include "mm/frame_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "fake_memory.h"

namespace atoll_os::kernel {
namespace {

using testing::FakeMemory;

constexpr PhysAddr kBase = FakeMemory::kDefaultBase;  // 0x100000
constexpr uint64_t kMiB = 1024 * 1024;

FrameAllocator create_ok(std::span<const MemoryRange> usable, std::span<const MemoryRange> reserved,
                         PhysicalWindow window) {
  Result<FrameAllocator> created = FrameAllocator::create(usable, reserved, window);
  EXPECT_TRUE(created.ok()) << error_name(created.error());
  return created.ok() ? created.release_value() : FrameAllocator{};
}

std::vector<PhysAddr> allocate_all(FrameAllocator& frames) {
  std::vector<PhysAddr> got;
  for (;;) {
    Result<PhysAddr> frame = frames.allocate();
    if (!frame.ok()) {
      EXPECT_EQ(frame.error(), Error::kOutOfMemory);
      return got;
    }
    got.push_back(*frame);
  }
}

bool inside_any(PhysAddr frame, std::span<const MemoryRange> ranges) {
  for (const MemoryRange& range : ranges) {
    if (range.contains(frame) && range.contains(frame + kPageSize - 1)) return true;
  }
  return false;
}

bool touches_any(PhysAddr frame, std::span<const MemoryRange> ranges) {
  for (const MemoryRange& range : ranges) {
    if (range.overlaps({frame, kPageSize})) return true;
  }
  return false;
}

// Every frame handed out is aligned, distinct, usable, unreserved and not the bitmap; the
// count matches free_frames(); and after writing every frame the allocator still works
// (a bitmap inside a handed-out frame would be overwritten).
void check_exhaustion(FrameAllocator& frames, const FakeMemory& memory,
                      std::span<const MemoryRange> usable, std::span<const MemoryRange> reserved) {
  size_t free_before = frames.free_frames();
  std::vector<PhysAddr> got = allocate_all(frames);
  EXPECT_EQ(got.size(), free_before);
  EXPECT_EQ(frames.free_frames(), 0u);
  std::set<PhysAddr> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), got.size());
  for (PhysAddr frame : got) {
    EXPECT_EQ(frame % kPageSize, 0u);
    EXPECT_TRUE(inside_any(frame, usable)) << std::hex << frame;
    EXPECT_FALSE(touches_any(frame, reserved)) << std::hex << frame;
    EXPECT_FALSE(frames.bitmap_range().overlaps({frame, kPageSize})) << std::hex << frame;
    EXPECT_TRUE(frames.is_used(frame));
    memset(memory.host(frame), 0x5a, kPageSize);
  }
  for (PhysAddr frame : got) ASSERT_TRUE(frames.free(frame).ok());
  EXPECT_EQ(frames.free_frames(), free_before);
  EXPECT_EQ(allocate_all(frames).size(), free_before);
}

TEST(FrameAllocator, OneRangeHandsOutEveryFrameOnce) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  FrameAllocator frames = create_ok(usable, {}, memory.window());
  // 2048 frames need 2 x 256 bytes of bitmap: one frame, at the first usable address.
  EXPECT_EQ(frames.bitmap_range().base, kBase);
  EXPECT_EQ(frames.bitmap_range().length, kPageSize);
  EXPECT_EQ(frames.usable_frames(), 2047u);
  EXPECT_EQ(frames.free_frames(), 2047u);
  EXPECT_TRUE(frames.is_used(kBase));  // the bitmap's own frame
  check_exhaustion(frames, memory, usable, {});
  EXPECT_EQ(frames.allocate().error(), Error::kOutOfMemory);
}

TEST(FrameAllocator, ReservedRangesAreRoundedOutwardsAndAvoided) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  MemoryRange reserved[] = {
      {kBase, kMiB},                 // the start: the bitmap must go after it
      {0x300800, 0x900},             // unaligned: takes frames 0x300000 and 0x301000
      {0x500fff, 2},                 // straddles 0x500000/0x501000
      {kBase + 7 * kMiB, 2 * kMiB},  // runs past the end of RAM
      {0x50000000, 0x1000},          // outside RAM entirely
      {0x400000, 0},                 // empty: reserves nothing
  };
  FrameAllocator frames = create_ok(usable, reserved, memory.window());
  EXPECT_EQ(frames.bitmap_range().base, kBase + kMiB);
  for (const MemoryRange& range : reserved) {
    if (range.length != 0) {
      EXPECT_FALSE(frames.bitmap_range().overlaps(range));
    }
  }
  // 2048 frames - 256 - 2 - 2 - 256 - 1 bitmap.
  EXPECT_EQ(frames.usable_frames(), 2048u - 256 - 2 - 2 - 256 - 1);
  EXPECT_TRUE(frames.is_used(0x300000));
  EXPECT_TRUE(frames.is_used(0x301000));
  EXPECT_FALSE(frames.is_used(0x302000));
  EXPECT_FALSE(frames.is_used(0x400000));
  MemoryRange rounded[] = {
      {kBase, kMiB}, {0x300000, 0x2000}, {0x500000, 0x2000}, {kBase + 7 * kMiB, kMiB}};
  check_exhaustion(frames, memory, usable, rounded);
}

TEST(FrameAllocator, SeveralUsableRangesWithHoles) {
  FakeMemory memory;
  MemoryRange usable[] = {
      {0x400000, kMiB},
      {0x100000, kMiB},
      {0x700800, 0x1fe800},  // rounded inwards to [0x701000, 0x8ff000)
      {0x680000, 0x800},     // less than a frame: nothing
  };
  FrameAllocator frames = create_ok(usable, {}, memory.window());
  // The bitmap goes into the first usable range listed with room for it.
  EXPECT_EQ(frames.bitmap_range().base, 0x400000u);
  EXPECT_EQ(frames.usable_frames(), 256u + 256 + 510 - 1);
  MemoryRange whole_frames[] = {{0x400000, kMiB}, {0x100000, kMiB}, {0x701000, 0x1fe000}};
  check_exhaustion(frames, memory, whole_frames, {});
  // Holes inside the span count as used and cannot be freed into the pool.
  EXPECT_TRUE(frames.is_used(0x200000));
  EXPECT_TRUE(frames.is_used(0x700000));
  EXPECT_EQ(frames.free(0x200000).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.free(0x700000).error(), Error::kInvalidArgument);
}

TEST(FrameAllocator, NoUsableFrameIsInvalidArgument) {
  FakeMemory memory;
  MemoryRange tiny[] = {{0x100800, 0x900}, {0x200000, 0}};
  EXPECT_EQ(FrameAllocator::create(tiny, {}, memory.window()).error(), Error::kInvalidArgument);
  EXPECT_EQ(FrameAllocator::create({}, {}, memory.window()).error(), Error::kInvalidArgument);
}

TEST(FrameAllocator, BitmapThatFitsNowhereIsOutOfMemory) {
  FakeMemory memory;
  // One frame here and one 1 TiB away: 2^28 frames need 64 MiB of bitmap.
  MemoryRange sparse[] = {{kBase, kPageSize}, {kBase + (1ull << 40), kPageSize}};
  EXPECT_EQ(FrameAllocator::create(sparse, {}, memory.window()).error(), Error::kOutOfMemory);
  // Every usable byte reserved.
  MemoryRange usable[] = {memory.range()};
  MemoryRange all[] = {memory.range()};
  EXPECT_EQ(FrameAllocator::create(usable, all, memory.window()).error(), Error::kOutOfMemory);
}

TEST(FrameAllocator, LargeBitmapIsPlacedAroundReservedRanges) {
  FakeMemory memory;
  // A far frame at 64 GiB stretches the span to 16M frames: 4 MiB of bitmap, which must
  // skip the reserved frame at 0x200000 and so starts right after it.
  MemoryRange usable[] = {memory.range(), {64ull << 30, kPageSize}};
  MemoryRange reserved[] = {{0x200000, kPageSize}};
  FrameAllocator frames = create_ok(usable, reserved, memory.window());
  EXPECT_EQ(frames.bitmap_range().base, 0x201000u);
  EXPECT_EQ(frames.bitmap_range().length, 4 * kMiB);
  EXPECT_FALSE(frames.bitmap_range().overlaps(reserved[0]));
  EXPECT_EQ(frames.usable_frames(), 2048u + 1 - 1 - 1024);
  EXPECT_FALSE(frames.is_used(64ull << 30));
  EXPECT_TRUE(frames.is_used((64ull << 30) - kPageSize));  // the hole before it
}

TEST(FrameAllocator, FreeThenReallocateReturnsTheSameFrame) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  FrameAllocator frames = create_ok(usable, {}, memory.window());
  std::vector<PhysAddr> got = allocate_all(frames);
  ASSERT_GT(got.size(), 100u);
  PhysAddr chosen = got[77];
  ASSERT_TRUE(frames.free(chosen).ok());
  EXPECT_FALSE(frames.is_used(chosen));
  EXPECT_EQ(frames.free_frames(), 1u);
  Result<PhysAddr> again = frames.allocate();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, chosen);
  EXPECT_EQ(frames.allocate().error(), Error::kOutOfMemory);
}

TEST(FrameAllocator, DoubleFreeIsNotFoundAndChangesNothing) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  FrameAllocator frames = create_ok(usable, {}, memory.window());
  PhysAddr frame = *frames.allocate();
  ASSERT_TRUE(frames.free(frame).ok());
  size_t free_before = frames.free_frames();
  EXPECT_EQ(frames.free(frame).error(), Error::kNotFound);
  EXPECT_EQ(frames.free_frames(), free_before);
  EXPECT_FALSE(frames.is_used(frame));
  // A never-allocated frame is also already free.
  EXPECT_EQ(frames.free(kBase + 100 * kPageSize).error(), Error::kNotFound);
  EXPECT_EQ(frames.free_frames(), free_before);
}

TEST(FrameAllocator, BadFreesAreInvalidArgument) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  MemoryRange reserved[] = {{0x300000, kPageSize}};
  FrameAllocator frames = create_ok(usable, reserved, memory.window());
  PhysAddr frame = *frames.allocate();
  size_t free_before = frames.free_frames();
  EXPECT_EQ(frames.free(frame + 8).error(), Error::kInvalidArgument);          // unaligned
  EXPECT_EQ(frames.free(kBase - kPageSize).error(), Error::kInvalidArgument);  // below
  EXPECT_EQ(frames.free(kBase + 8 * kMiB).error(), Error::kInvalidArgument);   // above
  EXPECT_EQ(frames.free(0).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.free(0x300000).error(), Error::kInvalidArgument);  // reserved
  EXPECT_EQ(frames.free(frames.bitmap_range().base).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.free_frames(), free_before);
  EXPECT_TRUE(frames.is_used(frame));
  EXPECT_TRUE(frames.is_used(0x300000));
  EXPECT_FALSE(frames.is_used(kBase + 8 * kMiB));  // outside the span: not this allocator's
}

TEST(FrameAllocator, ContiguousRunsAreAlignedFreeAndDisjoint) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  FrameAllocator frames = create_ok(usable, {}, memory.window());
  struct Request {
    size_t count;
    uint64_t align;
  };
  const Request requests[] = {{1, kPageSize},  {16, kPageSize}, {4, 2 * kMiB},
                              {512, 2 * kMiB}, {3, 64 * 1024},  {7, 32 * 1024}};
  std::set<PhysAddr> taken;
  size_t free_before = frames.free_frames();
  size_t total = 0;
  for (const Request& request : requests) {
    Result<PhysAddr> first = frames.allocate_contiguous(request.count, request.align);
    ASSERT_TRUE(first.ok()) << request.count;
    EXPECT_EQ(*first % request.align, 0u);
    for (size_t i = 0; i < request.count; ++i) {
      PhysAddr frame = *first + i * kPageSize;
      EXPECT_TRUE(taken.insert(frame).second) << std::hex << frame;
      EXPECT_TRUE(frames.is_used(frame));
      EXPECT_TRUE(memory.range().contains(frame));
      EXPECT_FALSE(frames.bitmap_range().overlaps({frame, kPageSize}));
    }
    total += request.count;
  }
  EXPECT_EQ(frames.free_frames(), free_before - total);
  // Single frames never come from inside the runs.
  for (PhysAddr frame : allocate_all(frames)) EXPECT_FALSE(taken.count(frame)) << frame;
}

TEST(FrameAllocator, ContiguousNeedsAFreeRunNotJustFreeFrames) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  FrameAllocator frames = create_ok(usable, {}, memory.window());
  std::vector<PhysAddr> got = allocate_all(frames);
  std::sort(got.begin(), got.end());
  for (size_t i = 0; i < got.size(); i += 2) ASSERT_TRUE(frames.free(got[i]).ok());
  EXPECT_GT(frames.free_frames(), 1000u);
  EXPECT_EQ(frames.allocate_contiguous(2).error(), Error::kOutOfMemory);
  // Freeing got[101] joins got[100..102] into the only run of three.
  ASSERT_TRUE(frames.free(got[101]).ok());
  EXPECT_EQ(frames.allocate_contiguous(4).error(), Error::kOutOfMemory);
  Result<PhysAddr> run = frames.allocate_contiguous(3);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(*run, got[100]);
}

TEST(FrameAllocator, ContiguousArgumentErrors) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  FrameAllocator frames = create_ok(usable, {}, memory.window());
  size_t free_before = frames.free_frames();
  EXPECT_EQ(frames.allocate_contiguous(0).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.allocate_contiguous(1, 0).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.allocate_contiguous(1, 2048).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.allocate_contiguous(1, kPageSize + 1).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.allocate_contiguous(1, 3 * kPageSize).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.allocate_contiguous(free_before + 1).error(), Error::kOutOfMemory);
  EXPECT_EQ(frames.allocate_contiguous(1, 1ull << 63).error(), Error::kOutOfMemory);
  EXPECT_EQ(frames.allocate_contiguous(1024, 8 * kMiB).error(), Error::kOutOfMemory);
  EXPECT_EQ(frames.free_frames(), free_before);
  // The whole pool as one run: the bitmap sits in the first frame, the rest is contiguous.
  Result<PhysAddr> everything = frames.allocate_contiguous(free_before);
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(*everything, kBase + kPageSize);
  EXPECT_EQ(frames.free_frames(), 0u);
}

TEST(FrameAllocator, FreeContiguousChecksTheWholeRunFirst) {
  FakeMemory memory;
  MemoryRange usable[] = {memory.range()};
  FrameAllocator frames = create_ok(usable, {}, memory.window());
  PhysAddr run = *frames.allocate_contiguous(8);
  ASSERT_TRUE(frames.free(run + 5 * kPageSize).ok());
  size_t free_before = frames.free_frames();
  EXPECT_EQ(frames.free_contiguous(run, 8).error(), Error::kNotFound);
  EXPECT_EQ(frames.free_frames(), free_before);
  for (size_t i : {0, 1, 4, 6, 7}) EXPECT_TRUE(frames.is_used(run + i * kPageSize)) << i;
  EXPECT_EQ(frames.free_contiguous(run, 0).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.free_contiguous(run + 1, 2).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames.free_contiguous(kBase + 8 * kMiB - kPageSize, 2).error(),
            Error::kInvalidArgument);  // runs off the end of the span
  EXPECT_EQ(frames.free_contiguous(kBase, 2).error(), Error::kInvalidArgument);  // the bitmap
  ASSERT_TRUE(frames.free_contiguous(run, 5).ok());
  ASSERT_TRUE(frames.free_contiguous(run + 6 * kPageSize, 2).ok());
  EXPECT_EQ(frames.free_frames(), free_before + 7);
}

TEST(FrameAllocator, DefaultConstructedHasNothing) {
  FrameAllocator frames;
  EXPECT_EQ(frames.allocate().error(), Error::kOutOfMemory);
  EXPECT_EQ(frames.allocate_contiguous(1).error(), Error::kOutOfMemory);
  EXPECT_EQ(frames.free(kBase).error(), Error::kInvalidArgument);
  EXPECT_FALSE(frames.is_used(kBase));
  EXPECT_EQ(frames.free_frames(), 0u);
}

}  // namespace
}  // namespace atoll_os::kernel
