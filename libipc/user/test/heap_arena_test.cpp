// Tests of HeapArena over a host buffer: alignment, reuse, large blocks, refusals, limits.
#include "heap_arena.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <utility>
#include <vector>

namespace atoll_os::user {
namespace {

constexpr size_t kArenaBytes = 8 << 20;

class HeapArenaTest : public ::testing::Test {
 protected:
  HeapArenaTest()
      : buffer_(static_cast<uint8_t*>(std::aligned_alloc(4096, kArenaBytes))),
        base_(reinterpret_cast<uintptr_t>(buffer_.get())),
        arena_(base_, base_ + kArenaBytes) {}

  bool inside(const void* p, size_t size) const {
    auto address = reinterpret_cast<uintptr_t>(p);
    return address >= base_ && address + size <= base_ + kArenaBytes;
  }

  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> buffer_;
  uintptr_t base_;
  HeapArena arena_;
};

TEST_F(HeapArenaTest, BlocksAreAlignedDisjointAndLargeEnough) {
  std::set<uintptr_t> seen;
  for (size_t size : {0, 1, 15, 16, 17, 100, 1000, 2048, 2049, 5000, 70000}) {
    void* p = arena_.allocate(size);
    ASSERT_NE(p, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << size;
    EXPECT_GE(arena_.capacity(p), size);
    EXPECT_TRUE(inside(p, arena_.capacity(p)));
    std::memset(p, 0xab, arena_.capacity(p));  // ASan: the whole capacity is ours
    EXPECT_TRUE(seen.insert(reinterpret_cast<uintptr_t>(p)).second);
  }
  // Filling each block must not have damaged a neighbour's header.
  for (uintptr_t p : seen) EXPECT_NE(arena_.capacity(reinterpret_cast<void*>(p)), 0u);
}

TEST_F(HeapArenaTest, FreedSmallBlockIsReusedForItsClass) {
  void* a = arena_.allocate(40);  // class 64
  void* b = arena_.allocate(40);
  ASSERT_TRUE(arena_.free(a));
  bool fresh = true;
  EXPECT_EQ(arena_.allocate(60, &fresh), a);
  EXPECT_FALSE(fresh);
  void* c = arena_.allocate(40, &fresh);  // class list empty again: new memory
  EXPECT_TRUE(fresh);
  EXPECT_NE(c, b);
}

TEST_F(HeapArenaTest, LargeBlocksArePageRunsReusedBestFit) {
  void* big = arena_.allocate(64 * 1024);
  void* medium = arena_.allocate(10 * 1024);
  void* guard = arena_.allocate(16);
  ASSERT_NE(guard, nullptr);
  EXPECT_EQ((arena_.capacity(big) + 16) % 4096, 0u);
  ASSERT_TRUE(arena_.free(big));
  ASSERT_TRUE(arena_.free(medium));
  EXPECT_EQ(arena_.allocate(9 * 1024), medium);  // the closer fit, not the first freed
  EXPECT_EQ(arena_.allocate(60 * 1024), big);
}

TEST_F(HeapArenaTest, SmallRequestDoesNotPinAHugeFreeBlock) {
  void* huge = arena_.allocate(1 << 20);
  ASSERT_TRUE(arena_.free(huge));
  void* small_large = arena_.allocate(8 * 1024);
  EXPECT_NE(small_large, huge);
  EXPECT_EQ(arena_.allocate(1 << 20), huge);
}

TEST_F(HeapArenaTest, RefusesDoubleFreeAndForeignPointers) {
  void* p = arena_.allocate(32);
  EXPECT_TRUE(arena_.free(p));
  EXPECT_FALSE(arena_.free(p));
  EXPECT_EQ(arena_.capacity(p), 0u);
  int on_stack = 0;
  EXPECT_FALSE(arena_.free(&on_stack));
  void* q = arena_.allocate(32);
  EXPECT_FALSE(arena_.free(static_cast<uint8_t*>(q) + 16));  // inside a block, not its start
  EXPECT_FALSE(arena_.free(static_cast<uint8_t*>(q) + 1));
}

TEST_F(HeapArenaTest, ExhaustionReturnsNullAndLeavesTheArenaUsable) {
  EXPECT_EQ(arena_.allocate(kArenaBytes), nullptr);
  EXPECT_EQ(arena_.allocate(SIZE_MAX), nullptr);
  EXPECT_EQ(arena_.allocate(SIZE_MAX - 8), nullptr);
  void* most = arena_.allocate(kArenaBytes - 4096 - 16);
  ASSERT_NE(most, nullptr);
  EXPECT_EQ(arena_.allocate(8192), nullptr);
  EXPECT_NE(arena_.allocate(16), nullptr);
}

TEST_F(HeapArenaTest, CountsLiveAndReservedBytes) {
  EXPECT_EQ(arena_.reserved_bytes(), 0u);
  void* p = arena_.allocate(100);  // class 128
  EXPECT_EQ(arena_.live_bytes(), 128u);
  EXPECT_EQ(arena_.reserved_bytes(), 128u + 16u);
  ASSERT_TRUE(arena_.free(p));
  EXPECT_EQ(arena_.live_bytes(), 0u);
  EXPECT_EQ(arena_.reserved_bytes(), 128u + 16u);
}

// A task without a pager: the arena asks for memory before touching it, in whole steps.
struct GrowLog {
  static inline std::vector<std::pair<uintptr_t, uintptr_t>> calls;
  static inline bool refuse = false;
  static bool grow(uintptr_t from, uintptr_t to) {
    calls.emplace_back(from, to);
    return !refuse;
  }
};

TEST_F(HeapArenaTest, GrowsBeforeTouchingAndOnlyWhenNeeded) {
  GrowLog::calls.clear();
  GrowLog::refuse = false;
  arena_.set_grow(&GrowLog::grow);
  void* first = arena_.allocate(100);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(GrowLog::calls.size(), 1u);
  EXPECT_EQ(GrowLog::calls[0].first, base_);
  EXPECT_EQ(GrowLog::calls[0].second, base_ + HeapArena::kGrowStep);
  for (int i = 0; i < 100; ++i) ASSERT_NE(arena_.allocate(100), nullptr);
  EXPECT_EQ(GrowLog::calls.size(), 1u);  // 101 * 144 bytes fit in the first step
  void* large = arena_.allocate(200 * 1024);
  ASSERT_NE(large, nullptr);
  ASSERT_EQ(GrowLog::calls.size(), 2u);
  EXPECT_EQ(GrowLog::calls[1].first, base_ + HeapArena::kGrowStep);
  auto end = reinterpret_cast<uintptr_t>(large) + arena_.capacity(large);
  EXPECT_GE(GrowLog::calls[1].second, end);
  EXPECT_EQ((GrowLog::calls[1].second - base_) % HeapArena::kGrowStep, 0u);
}

TEST_F(HeapArenaTest, RefusedGrowthFailsTheAllocationOnly) {
  GrowLog::calls.clear();
  GrowLog::refuse = true;
  arena_.set_grow(&GrowLog::grow);
  EXPECT_EQ(arena_.allocate(16), nullptr);
  EXPECT_EQ(arena_.reserved_bytes(), 0u);
  GrowLog::refuse = false;
  EXPECT_NE(arena_.allocate(16), nullptr);
}

}  // namespace
}  // namespace atoll_os::user
