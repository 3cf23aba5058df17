// Tests for the kernel heap over a frame allocator on fake physical memory.
#include "mm/heap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "fake_memory.h"

namespace atoll_os::kernel {
namespace {

using testing::FakeMemory;

class HeapTest : public ::testing::Test {
 protected:
  explicit HeapTest(size_t bytes = FakeMemory::kDefaultSize)
      : memory_(bytes), frames_(make_frames()), heap_(frames_, memory_.window()) {
    initial_free_ = frames_.free_frames();
  }

  FrameAllocator make_frames() {
    MemoryRange usable[] = {memory_.range()};
    Result<FrameAllocator> created = FrameAllocator::create(usable, {}, memory_.window());
    EXPECT_TRUE(created.ok());
    return created.release_value();
  }

  // Everything handed back: no live blocks and every frame returned to the allocator.
  void expect_empty() {
    EXPECT_EQ(heap_.stats().blocks_in_use, 0u);
    EXPECT_EQ(heap_.stats().bytes_requested, 0u);
    EXPECT_EQ(heap_.stats().frames_held, 0u);
    EXPECT_EQ(frames_.free_frames(), initial_free_);
  }

  FakeMemory memory_;
  FrameAllocator frames_;
  Heap heap_;
  size_t initial_free_ = 0;
};

struct Block {
  uint8_t* data;
  size_t size;
  uint8_t pattern;
};

void fill(const Block& block) {
  memset(block.data, block.pattern, block.size);
}

bool intact(const Block& block) {
  for (size_t i = 0; i < block.size; ++i) {
    if (block.data[i] != block.pattern) return false;
  }
  return true;
}

TEST_F(HeapTest, ManySizesDoNotOverlap) {
  std::vector<Block> blocks;
  uint8_t pattern = 1;
  for (size_t size = 1; size <= 2100; size += 7) {
    for (int copies = 0; copies < 3; ++copies) {
      auto* data = static_cast<uint8_t*>(heap_.allocate(size));
      ASSERT_NE(data, nullptr) << size;
      EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 16, 0u) << size;
      blocks.push_back({data, size, pattern++});
      fill(blocks.back());
    }
  }
  size_t requested = 0;
  for (const Block& block : blocks) {
    EXPECT_TRUE(intact(block)) << block.size;
    requested += block.size;
  }
  EXPECT_EQ(heap_.stats().blocks_in_use, blocks.size());
  EXPECT_EQ(heap_.stats().bytes_requested, requested);
  EXPECT_GT(heap_.stats().frames_held, 0u);
  EXPECT_EQ(frames_.free_frames(), initial_free_ - heap_.stats().frames_held);
  for (const Block& block : blocks) EXPECT_TRUE(heap_.free(block.data));
  expect_empty();
}

TEST_F(HeapTest, AlignmentIsHonoured) {
  std::vector<void*> blocks;
  for (size_t align : {1, 2, 4, 8, 16, 32, 64}) {
    for (size_t size : {1, 15, 17, 33, 63, 65, 100, 1000, 2048, 2049, 5000}) {
      void* block = heap_.allocate(size, align);
      ASSERT_NE(block, nullptr);
      uintptr_t address = reinterpret_cast<uintptr_t>(block);
      EXPECT_EQ(address % std::max<size_t>(align, 16), 0u) << size << " / " << align;
      blocks.push_back(block);
    }
  }
  for (void* block : blocks) EXPECT_TRUE(heap_.free(block));
  expect_empty();
}

TEST_F(HeapTest, BadRequestsReturnNull) {
  EXPECT_EQ(heap_.allocate(0), nullptr);
  EXPECT_EQ(heap_.allocate(16, 0), nullptr);
  EXPECT_EQ(heap_.allocate(16, 3), nullptr);
  EXPECT_EQ(heap_.allocate(16, 48), nullptr);
  EXPECT_EQ(heap_.allocate(16, 128), nullptr);
  EXPECT_EQ(heap_.allocate(SIZE_MAX), nullptr);
  EXPECT_EQ(heap_.allocate(SIZE_MAX - 100), nullptr);
  EXPECT_EQ(heap_.allocate(16 * 1024 * 1024), nullptr);  // more than the fake RAM
  expect_empty();
}

TEST_F(HeapTest, FreedBlocksAreReused) {
  void* first = heap_.allocate(40);
  void* keep = heap_.allocate(40);  // keeps the slab page alive
  ASSERT_TRUE(heap_.free(first));
  EXPECT_EQ(heap_.allocate(40), first);
  EXPECT_EQ(heap_.stats().frames_held, 1u);
  ASSERT_TRUE(heap_.free(first));
  ASSERT_TRUE(heap_.free(keep));
  expect_empty();
}

TEST_F(HeapTest, SmallClassesShareOnePage) {
  // 100 blocks of 16 bytes fit one slab page; 300 need more than one.
  std::vector<void*> blocks;
  for (int i = 0; i < 100; ++i) blocks.push_back(heap_.allocate(16));
  EXPECT_EQ(heap_.stats().frames_held, 1u);
  for (int i = 0; i < 200; ++i) blocks.push_back(heap_.allocate(16));
  EXPECT_EQ(heap_.stats().frames_held, 2u);
  for (void* block : blocks) ASSERT_TRUE(heap_.free(block));
  expect_empty();
}

TEST_F(HeapTest, LargeBlocksUseWholeFrames) {
  struct Case {
    size_t size;
    size_t frames;
  };
  // A large block carries a header in its first frame.
  for (Case c : {Case{2049, 1}, Case{4000, 1}, Case{4096, 2}, Case{10000, 3}, Case{100000, 25},
                 Case{1 << 20, 257}}) {
    Block block{static_cast<uint8_t*>(heap_.allocate(c.size)), c.size, 0x3c};
    ASSERT_NE(block.data, nullptr) << c.size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block.data) % Heap::kMaxAlign, 0u);
    EXPECT_EQ(heap_.stats().frames_held, c.frames) << c.size;
    EXPECT_EQ(heap_.stats().bytes_requested, c.size);
    EXPECT_EQ(frames_.free_frames(), initial_free_ - c.frames);
    fill(block);
    EXPECT_TRUE(intact(block));
    EXPECT_TRUE(heap_.free(block.data));
    expect_empty();
  }
}

TEST_F(HeapTest, ForeignPointersAreRefused) {
  int on_stack = 0;
  auto* block = static_cast<uint8_t*>(heap_.allocate(64));
  auto* large = static_cast<uint8_t*>(heap_.allocate(9000));
  PhysAddr raw_frame = *frames_.allocate();  // in use, but not the heap's
  memset(memory_.host(raw_frame), 0, kPageSize);
  Heap::Stats before = heap_.stats();
  EXPECT_FALSE(heap_.free(&on_stack));
  EXPECT_FALSE(heap_.free(block + 1));
  EXPECT_FALSE(heap_.free(block + 16));
  EXPECT_FALSE(heap_.free(large + 8));
  EXPECT_FALSE(heap_.free(large + kPageSize));
  EXPECT_FALSE(heap_.free(memory_.host(raw_frame) + 64));
  EXPECT_FALSE(heap_.free(memory_.host(memory_.base() + 5 * 1024 * 1024)));  // a free frame
  // Memory of another heap on the same allocator.
  Heap other(frames_, memory_.window());
  void* others = other.allocate(64);
  EXPECT_FALSE(heap_.free(others));
  EXPECT_TRUE(other.free(others));
  EXPECT_EQ(heap_.stats().blocks_in_use, before.blocks_in_use);
  EXPECT_EQ(heap_.stats().bytes_requested, before.bytes_requested);
  EXPECT_EQ(heap_.stats().frames_held, before.frames_held);
  EXPECT_TRUE(heap_.free(block));
  EXPECT_TRUE(heap_.free(large));
  ASSERT_TRUE(frames_.free(raw_frame).ok());
  expect_empty();
}

TEST_F(HeapTest, DoubleFreeIsRefused) {
  void* a = heap_.allocate(32);
  void* b = heap_.allocate(32);
  void* large = heap_.allocate(5000);
  ASSERT_TRUE(heap_.free(a));
  EXPECT_FALSE(heap_.free(a));
  EXPECT_EQ(heap_.stats().blocks_in_use, 2u);
  EXPECT_EQ(heap_.stats().bytes_requested, 5032u);
  ASSERT_TRUE(heap_.free(large));
  EXPECT_FALSE(heap_.free(large));
  ASSERT_TRUE(heap_.free(b));
  EXPECT_FALSE(heap_.free(b));  // its page went back to the allocator
  expect_empty();
}

TEST_F(HeapTest, NullIsIgnored) {
  void* block = heap_.allocate(8);
  Heap::Stats before = heap_.stats();
  EXPECT_TRUE(heap_.free(nullptr));
  EXPECT_EQ(heap_.stats().blocks_in_use, before.blocks_in_use);
  EXPECT_TRUE(heap_.free(block));
  expect_empty();
}

TEST_F(HeapTest, StatsCountRequestedBytes) {
  void* a = heap_.allocate(1);
  void* b = heap_.allocate(100, 64);
  void* c = heap_.allocate(3000);
  EXPECT_EQ(heap_.stats().blocks_in_use, 3u);
  EXPECT_EQ(heap_.stats().bytes_requested, 3101u);
  EXPECT_EQ(heap_.stats().frames_held, 1u + 1u + 1u);
  ASSERT_TRUE(heap_.free(b));
  EXPECT_EQ(heap_.stats().blocks_in_use, 2u);
  EXPECT_EQ(heap_.stats().bytes_requested, 3001u);
  EXPECT_EQ(heap_.stats().frames_held, 2u);
  ASSERT_TRUE(heap_.free(a));
  ASSERT_TRUE(heap_.free(c));
  expect_empty();
}

// Random allocations and frees against a shadow record of every live block's contents.
TEST_F(HeapTest, RandomWorkloadKeepsBlocksIntact) {
  std::mt19937 random(12345);
  std::vector<Block> live;
  size_t requested = 0;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || random() % 100 < 55) {
      size_t size = random() % 4 == 0 ? 1 + random() % 9000 : 1 + random() % 300;
      size_t align = size_t{1} << (random() % 7);
      auto* data = static_cast<uint8_t*>(heap_.allocate(size, align));
      if (data == nullptr) continue;  // the fake RAM may run out
      ASSERT_EQ(reinterpret_cast<uintptr_t>(data) % std::max<size_t>(align, 16), 0u);
      live.push_back({data, size, static_cast<uint8_t>(random())});
      fill(live.back());
      requested += size;
    } else {
      size_t index = random() % live.size();
      ASSERT_TRUE(intact(live[index])) << "step " << step;
      ASSERT_TRUE(heap_.free(live[index].data));
      requested -= live[index].size;
      live[index] = live.back();
      live.pop_back();
    }
    ASSERT_EQ(heap_.stats().blocks_in_use, live.size());
    ASSERT_EQ(heap_.stats().bytes_requested, requested);
  }
  for (const Block& block : live) {
    ASSERT_TRUE(intact(block));
    ASSERT_TRUE(heap_.free(block.data));
  }
  expect_empty();
}

class SmallHeapTest : public HeapTest {
 protected:
  SmallHeapTest() : HeapTest(16 * kPageSize) {}
};

TEST_F(SmallHeapTest, RunsOutCleanlyAndRecovers) {
  std::vector<void*> blocks;
  for (void* block; (block = heap_.allocate(512)) != nullptr;) blocks.push_back(block);
  // 15 free frames (one holds the bitmap), 7 blocks of 512 per slab page.
  EXPECT_EQ(blocks.size(), 15u * 7);
  EXPECT_EQ(frames_.free_frames(), 0u);
  EXPECT_EQ(heap_.allocate(3000), nullptr);
  EXPECT_EQ(heap_.stats().blocks_in_use, blocks.size());
  for (void* block : blocks) ASSERT_TRUE(heap_.free(block));
  expect_empty();
  EXPECT_NE(heap_.allocate(15 * kPageSize - 64), nullptr);
}

}  // namespace
}  // namespace atoll_os::kernel
