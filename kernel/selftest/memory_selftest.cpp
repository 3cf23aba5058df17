// Self-tests of the frame allocator, the live kernel page tables and the heap on real RAM.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/kernel_address_space.h"
#include "arch/x86_64/memory_layout.h"
#include "mm/kernel_memory.h"
#include "selftest/selftest.h"

namespace atoll_os::kernel {
namespace {

using x86_64::kDirectMap;

constexpr size_t kFrameBatch = 256;
// An address in the kernel half that nothing else maps: below the kernel image's 2 GiB.
constexpr uint64_t kScratchVirtual = 0xffffffff70000000;

const char* frames_round_trip() {
  FrameAllocator& frames = frame_allocator();
  size_t before = frames.free_frames();
  PhysAddr got[kFrameBatch];
  for (size_t i = 0; i < kFrameBatch; ++i) {
    auto frame = frames.allocate();
    SELFTEST_EXPECT(frame.ok());
    got[i] = *frame;
    *kDirectMap.at<uint64_t>(got[i]) = got[i] ^ 0x5a5a5a5a;  // RAM really is there
  }
  SELFTEST_EXPECT(frames.free_frames() == before - kFrameBatch);
  for (size_t i = 0; i < kFrameBatch; ++i) {
    SELFTEST_EXPECT(*kDirectMap.at<uint64_t>(got[i]) == (got[i] ^ 0x5a5a5a5a));
    SELFTEST_EXPECT(frames.free(got[i]).ok());
  }
  SELFTEST_EXPECT(frames.free_frames() == before);
  SELFTEST_EXPECT(frames.free(got[0]).error() == Error::kNotFound);  // double free refused
  return nullptr;
}

const char* live_page_mapping() {
  FrameAllocator& frames = frame_allocator();
  auto& table = x86_64::kernel_page_table();
  auto frame = frames.allocate();
  SELFTEST_EXPECT(frame.ok());
  SELFTEST_EXPECT(table.map(kScratchVirtual, *frame, x86_64::kPageWritable).ok());
  *reinterpret_cast<volatile uint64_t*>(kScratchVirtual) = 0x1234abcd;
  SELFTEST_EXPECT(*kDirectMap.at<uint64_t>(*frame) == 0x1234abcd);  // same frame, two views
  auto unmapped = table.unmap(kScratchVirtual);
  x86_64::invalidate_page(kScratchVirtual);
  SELFTEST_EXPECT(unmapped.ok() && *unmapped == *frame);
  SELFTEST_EXPECT(table.translate(kScratchVirtual).error() == Error::kNotFound);
  SELFTEST_EXPECT(frames.free(*frame).ok());
  return nullptr;
}

const char* kernel_image_protected() {
  auto& table = x86_64::kernel_page_table();
  auto text = table.translate(reinterpret_cast<uint64_t>(__text_start));
  auto data = table.translate(reinterpret_cast<uint64_t>(__data_start));
  SELFTEST_EXPECT(text.ok() && data.ok());
  SELFTEST_EXPECT((text->flags & x86_64::kPageWritable) == 0);
  SELFTEST_EXPECT((text->flags & x86_64::kPageExecutable) != 0);
  SELFTEST_EXPECT((data->flags & x86_64::kPageExecutable) == 0);
  SELFTEST_EXPECT(table.translate(0x100000).error() == Error::kNotFound);  // identity map gone
  return nullptr;
}

const char* heap_blocks() {
  Heap& heap = kernel_heap();
  size_t blocks_before = heap.stats().blocks_in_use;
  constexpr size_t kCount = 64;
  uint8_t* blocks[kCount];
  for (size_t i = 0; i < kCount; ++i) {
    size_t size = 8 + i * 97;  // spans every small class and some large blocks
    blocks[i] = static_cast<uint8_t*>(heap.allocate(size));
    SELFTEST_EXPECT(blocks[i] != nullptr);
    SELFTEST_EXPECT(reinterpret_cast<uint64_t>(blocks[i]) % 16 == 0);
    __builtin_memset(blocks[i], int(i), size);
  }
  for (size_t i = 0; i < kCount; ++i) {
    SELFTEST_EXPECT(blocks[i][0] == uint8_t(i) && blocks[i][7 + i * 97] == uint8_t(i));
    SELFTEST_EXPECT(heap.free(blocks[i]));
  }
  SELFTEST_EXPECT(!heap.free(blocks[0]));  // double free refused
  SELFTEST_EXPECT(heap.stats().blocks_in_use == blocks_before);
  return nullptr;
}

constexpr SelfTest kTests[] = {
    {"frames_round_trip", frames_round_trip},
    {"live_page_mapping", live_page_mapping},
    {"kernel_image_protected", kernel_image_protected},
    {"heap_blocks", heap_blocks},
};

}  // namespace

std::span<const SelfTest> memory_selftests() {
  return kTests;
}

}  // namespace atoll_os::kernel
