// Tests for x86-64 page tables over fake RAM, checked also against the raw entry bits.
#include "arch/x86_64/page_table.h"

#include <gtest/gtest.h>

#include <vector>

#include "fake_memory.h"

namespace atoll_os::kernel::x86_64 {
namespace {

using testing::FakeMemory;

// The architectural bits, spelled out here independently of the implementation.
constexpr uint64_t kP = 1ull << 0;
constexpr uint64_t kRW = 1ull << 1;
constexpr uint64_t kUS = 1ull << 2;
constexpr uint64_t kPWT = 1ull << 3;
constexpr uint64_t kPCD = 1ull << 4;
constexpr uint64_t kA = 1ull << 5;
constexpr uint64_t kD = 1ull << 6;
constexpr uint64_t kPS = 1ull << 7;
constexpr uint64_t kG = 1ull << 8;
constexpr uint64_t kNX = 1ull << 63;
constexpr uint64_t kAddress = 0x000ffffffffff000;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kGiB = 1024 * kMiB;

class PageTableTest : public ::testing::Test {
 protected:
  explicit PageTableTest(size_t bytes = FakeMemory::kDefaultSize)
      : memory_(bytes), frames_(make_frames()), table_(make_table()) {}

  FrameAllocator make_frames() {
    MemoryRange usable[] = {memory_.range()};
    Result<FrameAllocator> created = FrameAllocator::create(usable, {}, memory_.window());
    EXPECT_TRUE(created.ok());
    return created.release_value();
  }
  PageTable make_table() {
    Result<PageTable> created = PageTable::create(memory_.window(), frames_);
    EXPECT_TRUE(created.ok());
    return created.ok() ? created.release_value() : PageTable(0, memory_.window(), frames_);
  }

  // The entries from the PML4 down to the leaf (or the first absent one), read raw.
  std::vector<uint64_t*> raw_path(uint64_t virt) {
    std::vector<uint64_t*> path;
    PhysAddr table = table_.root();
    for (int level = 4; level >= 1; --level) {
      size_t index = (virt >> (12 + 9 * (level - 1))) & 511;
      auto* entry = reinterpret_cast<uint64_t*>(memory_.host(table)) + index;
      path.push_back(entry);
      if (!(*entry & kP) || level == 1 || (level <= 3 && (*entry & kPS))) break;
      table = *entry & kAddress;
    }
    return path;
  }
  uint64_t raw_leaf(uint64_t virt) { return *raw_path(virt).back(); }

  Translation translate_ok(uint64_t virt) {
    Result<Translation> found = table_.translate(virt);
    EXPECT_TRUE(found.ok()) << std::hex << virt << " " << error_name(found.error());
    return found.ok() ? *found : Translation{};
  }

  FakeMemory memory_;
  FrameAllocator frames_;
  PageTable table_;
};

TEST_F(PageTableTest, CreateGivesAZeroedRootFromTheAllocator) {
  EXPECT_TRUE(frames_.is_used(table_.root()));
  const auto* entries = reinterpret_cast<const uint64_t*>(memory_.host(table_.root()));
  for (size_t i = 0; i < 512; ++i) ASSERT_EQ(entries[i], 0u) << i;  // fake RAM starts as 0xa5
  EXPECT_EQ(table_.translate(0).error(), Error::kNotFound);
  EXPECT_EQ(table_.translate(0xffffffff80000000).error(), Error::kNotFound);
}

TEST_F(PageTableTest, Map4KAndTranslate) {
  size_t free_before = frames_.free_frames();
  ASSERT_TRUE(table_.map(0x400000, 0x1234000, kPageWritable).ok());
  EXPECT_EQ(frames_.free_frames(), free_before - 3);  // PDPT, PD, PT
  Translation t = translate_ok(0x400abc);
  EXPECT_EQ(t.physical, 0x1234abcu);
  EXPECT_EQ(t.flags, uint32_t{kPageWritable});
  EXPECT_EQ(t.size, PageSize::k4K);
  EXPECT_FALSE(t.accessed);
  EXPECT_FALSE(t.dirty);
  std::vector<uint64_t*> path = raw_path(0x400000);
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(*path[3], 0x1234000 | kP | kRW | kNX);
  for (int level = 0; level < 3; ++level) {
    EXPECT_EQ(*path[level] & ~kAddress, kP | kRW) << level;  // full rights, not user
    EXPECT_TRUE(frames_.is_used(*path[level] & kAddress));
  }
  EXPECT_EQ(table_.translate(0x401000).error(), Error::kNotFound);
  EXPECT_EQ(table_.translate(0x3fffff).error(), Error::kNotFound);
}

TEST_F(PageTableTest, Map2MAndTranslate) {
  size_t free_before = frames_.free_frames();
  ASSERT_TRUE(
      table_.map(0x40000000, 0x600000, kPageWritable | kPageExecutable, PageSize::k2M).ok());
  EXPECT_EQ(frames_.free_frames(), free_before - 2);  // PDPT, PD
  Translation t = translate_ok(0x40012345);
  EXPECT_EQ(t.physical, 0x612345u);
  EXPECT_EQ(t.size, PageSize::k2M);
  EXPECT_EQ(t.flags, uint32_t{kPageWritable | kPageExecutable});
  EXPECT_EQ(translate_ok(0x401fffff).physical, 0x7fffffu);
  EXPECT_EQ(table_.translate(0x40200000).error(), Error::kNotFound);
  std::vector<uint64_t*> path = raw_path(0x40000000);
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(*path[2], 0x600000 | kP | kRW | kPS);
}

TEST_F(PageTableTest, Map1GAndTranslate) {
  ASSERT_TRUE(table_.map(0xffff800000000000, 0x40000000, kPageGlobal, PageSize::k1G).ok());
  Translation t = translate_ok(0xffff80003fffffff);
  EXPECT_EQ(t.physical, 0x7fffffffu);
  EXPECT_EQ(t.size, PageSize::k1G);
  EXPECT_EQ(t.flags, uint32_t{kPageGlobal});
  std::vector<uint64_t*> path = raw_path(0xffff800000000000);
  ASSERT_EQ(path.size(), 2u);
  EXPECT_EQ(*path[1], 0x40000000 | kP | kPS | kG | kNX);
  EXPECT_EQ(table_.translate(0xffff800040000000).error(), Error::kNotFound);
}

TEST_F(PageTableTest, FlagsMapToEntryBits) {
  ASSERT_TRUE(table_.map(0x10000, 0x10000, kPageReadOnly).ok());
  ASSERT_TRUE(table_.map(0x11000, 0x11000, kPageExecutable).ok());
  ASSERT_TRUE(table_.map(0x12000, 0x12000, kPageUncached | kPageWritable).ok());
  EXPECT_EQ(raw_leaf(0x10000) & ~kAddress, kP | kNX);
  EXPECT_EQ(raw_leaf(0x11000) & ~kAddress, kP);
  EXPECT_EQ(raw_leaf(0x12000) & ~kAddress, kP | kRW | kPCD | kPWT | kNX);
  EXPECT_EQ(translate_ok(0x10000).flags, uint32_t{kPageReadOnly});
  EXPECT_EQ(translate_ok(0x11000).flags, uint32_t{kPageExecutable});
  EXPECT_EQ(translate_ok(0x12000).flags, uint32_t{kPageUncached | kPageWritable});
}

TEST_F(PageTableTest, UserBitPropagatesToTables) {
  ASSERT_TRUE(table_.map(0x7f0000000000, 0x5000, kPageUser | kPageWritable).ok());
  ASSERT_TRUE(table_.map(0x7f0000001000, 0x6000, kPageWritable).ok());  // shares the tables
  ASSERT_TRUE(table_.map(0xffffffff80000000, 0x7000, kPageWritable).ok());
  std::vector<uint64_t*> user = raw_path(0x7f0000000000);
  for (int level = 0; level < 3; ++level) EXPECT_TRUE(*user[level] & kUS) << level;
  EXPECT_TRUE(*user[3] & kUS);
  EXPECT_FALSE(raw_leaf(0x7f0000001000) & kUS);  // the leaf alone decides
  EXPECT_EQ(translate_ok(0x7f0000001000).flags, uint32_t{kPageWritable});
  EXPECT_EQ(translate_ok(0x7f0000000000).flags, uint32_t{kPageUser | kPageWritable});
  for (uint64_t* entry : raw_path(0xffffffff80000000)) EXPECT_FALSE(*entry & kUS);
}

TEST_F(PageTableTest, UnmapReturnsTheBaseAndRemoves) {
  ASSERT_TRUE(table_.map(0x400000, 0x1234000, kPageWritable).ok());
  ASSERT_TRUE(table_.map(0x40000000, 0x600000, kPageWritable, PageSize::k2M).ok());
  ASSERT_TRUE(table_.map(0x80000000, 0xc0000000, kPageWritable, PageSize::k1G).ok());
  EXPECT_EQ(table_.unmap(0x400001).error(), Error::kInvalidArgument);
  EXPECT_EQ(table_.unmap(0x40001000).error(), Error::kInvalidArgument);  // inside a 2M page
  EXPECT_EQ(table_.unmap(0x80200000).error(), Error::kInvalidArgument);  // inside a 1G page
  EXPECT_EQ(*table_.unmap(0x400000), 0x1234000u);
  EXPECT_EQ(*table_.unmap(0x40000000), 0x600000u);
  EXPECT_EQ(*table_.unmap(0x80000000), 0xc0000000u);
  for (uint64_t virt : {0x400000ull, 0x40000000ull, 0x80000000ull}) {
    EXPECT_EQ(table_.translate(virt).error(), Error::kNotFound);
    EXPECT_EQ(table_.unmap(virt).error(), Error::kNotFound);
  }
  EXPECT_TRUE(table_.map(0x400000, 0x2000, kPageReadOnly).ok());
  EXPECT_EQ(translate_ok(0x400000).physical, 0x2000u);
}

TEST_F(PageTableTest, ProtectChangesFlagsKeepsAddressAndAccessedDirty) {
  ASSERT_TRUE(table_.map(0x400000, 0x1234000, kPageReadOnly).ok());
  *raw_path(0x400000).back() |= kA | kD;  // as the CPU would
  Translation before = translate_ok(0x400000);
  EXPECT_TRUE(before.accessed);
  EXPECT_TRUE(before.dirty);
  uint32_t flags = kPageWritable | kPageUser | kPageExecutable;
  ASSERT_TRUE(table_.protect(0x400fff, flags).ok());
  Translation after = translate_ok(0x400000);
  EXPECT_EQ(after.physical, 0x1234000u);
  EXPECT_EQ(after.flags, flags);
  EXPECT_TRUE(after.accessed);
  EXPECT_TRUE(after.dirty);
  std::vector<uint64_t*> path = raw_path(0x400000);
  EXPECT_EQ(*path[3], 0x1234000 | kP | kRW | kUS | kA | kD);
  for (int level = 0; level < 3; ++level) EXPECT_TRUE(*path[level] & kUS) << level;
  ASSERT_TRUE(table_.protect(0x400000, kPageReadOnly).ok());
  EXPECT_EQ(*raw_path(0x400000).back(), 0x1234000 | kP | kA | kD | kNX);
}

TEST_F(PageTableTest, ProtectLargePageKeepsItLarge) {
  ASSERT_TRUE(table_.map(0x40000000, 0x600000, kPageReadOnly, PageSize::k2M).ok());
  ASSERT_TRUE(table_.protect(0x40100000, kPageWritable | kPageGlobal).ok());
  Translation t = translate_ok(0x40100000);
  EXPECT_EQ(t.size, PageSize::k2M);
  EXPECT_EQ(t.physical, 0x700000u);
  EXPECT_EQ(t.flags, uint32_t{kPageWritable | kPageGlobal});
  EXPECT_EQ(raw_leaf(0x40000000), 0x600000 | kP | kRW | kPS | kG | kNX);
}

TEST_F(PageTableTest, ProtectErrors) {
  EXPECT_EQ(table_.protect(0x400000, kPageWritable).error(), Error::kNotFound);
  ASSERT_TRUE(table_.map(0x400000, 0x1000, kPageWritable).ok());
  EXPECT_EQ(table_.protect(0x401000, kPageWritable).error(), Error::kNotFound);
  EXPECT_EQ(table_.protect(0x0000800000000000, kPageWritable).error(), Error::kInvalidArgument);
  EXPECT_EQ(table_.protect(0x400000, 1u << 9).error(), Error::kInvalidArgument);
  EXPECT_EQ(translate_ok(0x400000).flags, uint32_t{kPageWritable});
}

TEST_F(PageTableTest, OverlapsAreAlreadyExists) {
  ASSERT_TRUE(table_.map(0x400000, 0x1000, kPageWritable).ok());
  ASSERT_TRUE(table_.map(0x40000000, 0x600000, kPageWritable, PageSize::k2M).ok());
  ASSERT_TRUE(table_.map(0x80000000, 0x80000000, kPageWritable, PageSize::k1G).ok());
  size_t free_before = frames_.free_frames();
  // Same page again, even to another frame.
  EXPECT_EQ(table_.map(0x400000, 0x9000, kPageWritable).error(), Error::kAlreadyExists);
  // A large page over a small one, a small one inside a large one, and so on.
  EXPECT_EQ(table_.map(0x400000, 0x200000, kPageWritable, PageSize::k2M).error(),
            Error::kAlreadyExists);
  EXPECT_EQ(table_.map(0x0, 0x0, kPageWritable, PageSize::k1G).error(), Error::kAlreadyExists);
  EXPECT_EQ(table_.map(0x40003000, 0x3000, kPageWritable).error(), Error::kAlreadyExists);
  EXPECT_EQ(table_.map(0x40000000, 0x0, kPageWritable, PageSize::k1G).error(),
            Error::kAlreadyExists);
  EXPECT_EQ(table_.map(0x80200000, 0x200000, kPageWritable, PageSize::k2M).error(),
            Error::kAlreadyExists);
  EXPECT_EQ(table_.map(0xbffff000, 0x1000, kPageWritable).error(), Error::kAlreadyExists);
  EXPECT_EQ(frames_.free_frames(), free_before);  // nothing allocated on the way
  EXPECT_EQ(translate_ok(0x400000).physical, 0x1000u);
  EXPECT_EQ(translate_ok(0x40000000).size, PageSize::k2M);
  EXPECT_EQ(translate_ok(0x80200000).size, PageSize::k1G);
}

TEST_F(PageTableTest, LargePageReplacesTablesLeftEmpty) {
  ASSERT_TRUE(table_.map(0x200000, 0x5000, kPageWritable).ok());
  ASSERT_TRUE(table_.unmap(0x200000).ok());
  size_t free_before = frames_.free_frames();
  ASSERT_TRUE(table_.map(0x200000, 0x400000, kPageWritable, PageSize::k2M).ok());
  EXPECT_EQ(frames_.free_frames(), free_before + 1);  // the empty PT went back
  EXPECT_EQ(translate_ok(0x201000).physical, 0x401000u);

  ASSERT_TRUE(table_.map(0x80000000, 0x5000, kPageWritable).ok());  // new PD and PT
  ASSERT_TRUE(table_.unmap(0x80000000).ok());
  free_before = frames_.free_frames();
  ASSERT_TRUE(table_.map(0x80000000, 0x40000000, kPageWritable, PageSize::k1G).ok());
  EXPECT_EQ(frames_.free_frames(), free_before + 2);
  EXPECT_EQ(translate_ok(0x80000000).size, PageSize::k1G);
}

TEST_F(PageTableTest, InvalidArguments) {
  size_t free_before = frames_.free_frames();
  for (uint64_t virt : {0x0000800000000000ull, 0xffff7ffffffff000ull, 0x1234000000000000ull}) {
    EXPECT_EQ(table_.map(virt, 0x1000, kPageWritable).error(), Error::kInvalidArgument);
    EXPECT_EQ(table_.translate(virt).error(), Error::kInvalidArgument);
    EXPECT_EQ(table_.unmap(virt).error(), Error::kInvalidArgument);
  }
  EXPECT_EQ(table_.map(0x1001, 0x1000, kPageWritable).error(), Error::kInvalidArgument);
  EXPECT_EQ(table_.map(0x1000, 0x1001, kPageWritable).error(), Error::kInvalidArgument);
  EXPECT_EQ(table_.map(0x201000, 0x200000, kPageWritable, PageSize::k2M).error(),
            Error::kInvalidArgument);
  EXPECT_EQ(table_.map(0x200000, 0x201000, kPageWritable, PageSize::k2M).error(),
            Error::kInvalidArgument);
  EXPECT_EQ(table_.map(0x40200000, 0x40000000, kPageWritable, PageSize::k1G).error(),
            Error::kInvalidArgument);
  EXPECT_EQ(table_.map(0x1000, 1ull << 52, kPageWritable).error(), Error::kInvalidArgument);
  EXPECT_EQ(table_.map(0x1000, 0x1000, 1u << 5).error(), Error::kInvalidArgument);
  EXPECT_EQ(frames_.free_frames(), free_before);
}

TEST_F(PageTableTest, MapRangePicksLargePagesWhenAligned) {
  size_t free_before = frames_.free_frames();
  ASSERT_TRUE(table_.map_range(0x1ff000, 0x1ff000, 0x402000, kPageWritable).ok());
  EXPECT_EQ(translate_ok(0x1ff000).size, PageSize::k4K);
  EXPECT_EQ(translate_ok(0x200000).size, PageSize::k2M);
  EXPECT_EQ(translate_ok(0x400000).size, PageSize::k2M);
  EXPECT_EQ(translate_ok(0x600000).size, PageSize::k4K);
  EXPECT_EQ(translate_ok(0x5fffff).physical, 0x5fffffu);
  EXPECT_EQ(table_.translate(0x601000).error(), Error::kNotFound);
  EXPECT_EQ(table_.translate(0x1fe000).error(), Error::kNotFound);
  EXPECT_EQ(frames_.free_frames(), free_before - 4);  // PDPT, PD, and two PTs
}

TEST_F(PageTableTest, MapRangeHonoursMaxSize) {
  ASSERT_TRUE(table_.map_range(0x200000, 0x200000, 0x200000, kPageWritable, PageSize::k4K).ok());
  EXPECT_EQ(translate_ok(0x200000).size, PageSize::k4K);
  EXPECT_EQ(translate_ok(0x3ff000).size, PageSize::k4K);
  ASSERT_TRUE(
      table_.map_range(0x40000000, 0x40000000, 2 * kGiB + 2 * kMiB, kPageWritable, PageSize::k1G)
          .ok());
  EXPECT_EQ(translate_ok(0x40000000).size, PageSize::k1G);
  EXPECT_EQ(translate_ok(0x80000000).size, PageSize::k1G);
  EXPECT_EQ(translate_ok(0xc0000000).size, PageSize::k2M);
  EXPECT_EQ(table_.translate(0xc0200000).error(), Error::kNotFound);
  // Default max is 2M even where 1G would fit.
  ASSERT_TRUE(table_.map_range(0x100000000, 0x100000000, kGiB, kPageWritable).ok());
  EXPECT_EQ(translate_ok(0x100000000).size, PageSize::k2M);
}

TEST_F(PageTableTest, MapRangeWithDifferentlyAlignedAddressesUsesSmallPages) {
  ASSERT_TRUE(table_.map_range(0x200000, 0x201000, 0x400000, kPageWritable).ok());
  EXPECT_EQ(translate_ok(0x200000).size, PageSize::k4K);
  EXPECT_EQ(translate_ok(0x5ff000).physical, 0x600000u);
}

TEST_F(PageTableTest, MapRangeErrors) {
  EXPECT_EQ(table_.map_range(0x1000, 0x1000, 0x1800, kPageWritable).error(),
            Error::kInvalidArgument);
  EXPECT_TRUE(table_.map_range(0x1000, 0x1000, 0, kPageWritable).ok());
  EXPECT_EQ(table_.translate(0x1000).error(), Error::kNotFound);
  EXPECT_EQ(table_.map_range(0xfffffffffffff000, 0, 0x2000, kPageWritable).error(),
            Error::kInvalidArgument);  // would wrap to address 0
  EXPECT_EQ(table_.translate(0).error(), Error::kNotFound);
  EXPECT_TRUE(table_.map_range(0xfffffffffffff000, 0, 0x1000, kPageWritable).ok());
  // Stops at the first error: pages before it stay mapped.
  ASSERT_TRUE(table_.map(0x803000, 0x1000, kPageWritable).ok());
  EXPECT_EQ(table_.map_range(0x800000, 0x0, 0x8000, kPageWritable).error(), Error::kAlreadyExists);
  EXPECT_TRUE(table_.translate(0x802000).ok());
  EXPECT_EQ(table_.translate(0x804000).error(), Error::kNotFound);
  // Running into the non-canonical hole.
  EXPECT_EQ(table_.map_range(0x00007ffffffff000, 0x1000, 0x2000, kPageWritable).error(),
            Error::kInvalidArgument);
  EXPECT_TRUE(table_.translate(0x00007ffffffff000).ok());
}

TEST_F(PageTableTest, AdoptedRootSeesTheSameMappings) {
  ASSERT_TRUE(table_.map(0x400000, 0x9000, kPageWritable).ok());
  PageTable adopted(table_.root(), memory_.window(), frames_);
  EXPECT_EQ(adopted.translate(0x400000)->physical, 0x9000u);
  ASSERT_TRUE(adopted.map(0x401000, 0xa000, kPageWritable).ok());
  EXPECT_EQ(translate_ok(0x401000).physical, 0xa000u);
}

class TinyPageTableTest : public PageTableTest {
 protected:
  // Five frames: the bitmap, the root, and three for one path of tables.
  TinyPageTableTest() : PageTableTest(5 * kPageSize) {}
};

TEST_F(TinyPageTableTest, RunningOutOfFramesIsOutOfMemory) {
  EXPECT_EQ(frames_.free_frames(), 3u);
  ASSERT_TRUE(table_.map(0x400000, 0x1000, kPageWritable).ok());
  EXPECT_EQ(frames_.free_frames(), 0u);
  ASSERT_TRUE(table_.map(0x401000, 0x2000, kPageWritable).ok());  // same tables
  EXPECT_EQ(table_.map(0xffff800000000000, 0x1000, kPageWritable).error(), Error::kOutOfMemory);
  EXPECT_EQ(table_.map(0x40000000, 0x0, kPageWritable).error(), Error::kOutOfMemory);
  EXPECT_EQ(table_.translate(0xffff800000000000).error(), Error::kNotFound);
  Result<PageTable> another = PageTable::create(memory_.window(), frames_);
  EXPECT_EQ(another.error(), Error::kOutOfMemory);
}

}  // namespace
}  // namespace atoll_os::kernel::x86_64
