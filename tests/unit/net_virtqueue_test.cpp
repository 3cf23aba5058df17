// The virtqueue's ring logic against a fake device that reads and writes the same host memory.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <string.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "lib/virtqueue.h"

namespace atoll_os::servers::devices {
namespace {

constexpr uint64_t kPhysBase = 0x4000'0000;

/// The legacy layout by the spec's own formula (virtio 1.x §2.7.2, "Legacy Interfaces: A Note
/// on Virtqueue Layout"), written out independently of legacy_layout().
struct SpecLayout {
  size_t avail, used, total;
};
SpecLayout spec_layout(size_t qsz) {
  auto align = [](size_t x) { return (x + 4095) & ~size_t{4095}; };
  const size_t first = align(16 * qsz + 2 * (3 + qsz));
  return {16 * qsz, first, first + align(2 * 3 + 8 * qsz)};
}

/// Page-aligned host memory seen by the "device" at kPhysBase; ASan guards its ends.
class FakeDma {
 public:
  explicit FakeDma(size_t bytes)
      : bytes_(bytes), buffer_(static_cast<uint8_t*>(aligned_alloc(4096, bytes))) {
    memset(buffer_, 0xa5, bytes_);  // garbage: init() must zero what it uses
  }
  ~FakeDma() { free(buffer_); }
  DmaWindow window(size_t offset, size_t size) const {
    return {buffer_ + offset, kPhysBase + offset, size};
  }
  uint8_t* host(uint64_t phys) const { return buffer_ + (phys - kPhysBase); }

 private:
  size_t bytes_;
  uint8_t* buffer_;
};

struct DeviceSegment {
  uint64_t phys;
  uint32_t len;
  uint16_t flags;
};
struct Chain {
  uint16_t head;
  std::vector<DeviceSegment> segments;
};

/// Plays QEMU's part over the ring memory, at the offsets the spec gives.
class FakeDevice {
 public:
  FakeDevice(uint8_t* ring, uint32_t qsz) : ring_(ring), qsz_(qsz), layout_(spec_layout(qsz)) {}

  uint16_t avail_flags() const { return u16(layout_.avail); }
  uint16_t avail_idx() const { return u16(layout_.avail + 2); }
  uint16_t used_event() const { return u16(layout_.avail + 4 + 2 * qsz_); }
  uint16_t used_idx() const { return u16(layout_.used + 2); }
  void set_used_flags(uint16_t v) { put16(layout_.used, v); }
  void set_used_idx(uint16_t v) { put16(layout_.used + 2, v); }
  void set_avail_event(uint16_t v) { put16(layout_.used + 4 + 8 * qsz_, v); }
  uint8_t* desc_bytes(uint16_t i) { return ring_ + 16 * i; }

  /// Every chain made available since the last call, walked through the descriptor table.
  std::vector<Chain> pop_available() {
    std::vector<Chain> chains;
    for (; seen_avail_ != avail_idx(); ++seen_avail_) {
      Chain chain{u16(layout_.avail + 4 + 2 * (seen_avail_ % qsz_)), {}};
      uint16_t id = chain.head;
      for (uint32_t n = 0; n < qsz_; ++n) {
        DeviceSegment segment;
        memcpy(&segment.phys, ring_ + 16 * id, 8);
        memcpy(&segment.len, ring_ + 16 * id + 8, 4);
        segment.flags = u16(16 * id + 12);
        chain.segments.push_back(segment);
        if (!(segment.flags & kDescFlagNext)) break;
        id = u16(16 * id + 14);
      }
      chains.push_back(chain);
    }
    return chains;
  }

  /// Writes a used element without publishing it.
  void write_used(uint32_t id, uint32_t len) {
    const size_t slot = layout_.used + 4 + 8 * (next_used_ % qsz_);
    memcpy(ring_ + slot, &id, 4);
    memcpy(ring_ + slot + 4, &len, 4);
    ++next_used_;
  }
  void publish_used() { set_used_idx(next_used_); }
  void rewind_used() {
    next_used_ = 0;
    set_used_idx(0);
  }
  void complete(uint32_t id, uint32_t len) {
    write_used(id, len);
    publish_used();
  }

 private:
  uint16_t u16(size_t offset) const {
    uint16_t v;
    memcpy(&v, ring_ + offset, 2);
    return v;
  }
  void put16(size_t offset, uint16_t v) { memcpy(ring_ + offset, &v, 2); }

  uint8_t* ring_;
  uint32_t qsz_;
  SpecLayout layout_;
  uint16_t seen_avail_ = 0;
  uint16_t next_used_ = 0;
};

/// A queue of `qsz` entries at the start of a FakeDma, with data pages after it.
class VirtqueueTest : public ::testing::Test {
 protected:
  void make(uint32_t qsz, bool event_idx = false) {
    qsz_ = qsz;
    ring_bytes_ = spec_layout(qsz).total;
    dma_ = std::make_unique<FakeDma>(ring_bytes_ + kDataBytes);
    state_.assign(qsz, DescriptorState{});
    ASSERT_TRUE(queue_.init(dma_->window(0, ring_bytes_), state_, qsz, event_idx).ok());
    device_ = std::make_unique<FakeDevice>(dma_->host(kPhysBase), qsz);
  }
  uint64_t data(size_t offset) const { return kPhysBase + ring_bytes_ + offset; }
  UsedBuffer take_one() {
    auto used = queue_.take_used();
    EXPECT_TRUE(used.ok());
    EXPECT_TRUE(used.ok() && used->has_value());
    return used.ok() && used->has_value() ? **used : UsedBuffer{0xffff, 0};
  }
  uint16_t add(std::initializer_list<BufferSegment> segments) {
    auto head = queue_.add_buffer(std::span(segments.begin(), segments.size()));
    EXPECT_TRUE(head.ok()) << error_name(head.error());
    return head.value_or(0xffff);
  }
  BufferSegment rx(uint32_t len) { return {data(0), len, true}; }
  BufferSegment tx(uint32_t len) { return {data(0), len, false}; }

  static constexpr size_t kDataBytes = 64 * 1024;
  uint32_t qsz_ = 0;
  size_t ring_bytes_ = 0;
  std::unique_ptr<FakeDma> dma_;
  std::vector<DescriptorState> state_;
  Virtqueue queue_;
  std::unique_ptr<FakeDevice> device_;
};

TEST(VirtqLayoutTest, LegacyOffsetsFollowTheSpecFormula) {
  for (uint32_t qsz : {256u, 1024u}) {
    auto layout = legacy_layout(qsz);
    ASSERT_TRUE(layout.ok());
    const SpecLayout spec = spec_layout(qsz);
    EXPECT_EQ(layout->avail_offset, spec.avail) << qsz;
    EXPECT_EQ(layout->used_offset, spec.used) << qsz;
    EXPECT_EQ(layout->total_size, spec.total) << qsz;
  }
  // The same by hand: 256 → 4096 + 518 → used at 8192, 2054 → 4096; 1024 → 16384 + 2054 →
  // used at 20480, 8198 → 12288.
  EXPECT_EQ(legacy_layout(256)->used_offset, 8192u);
  EXPECT_EQ(legacy_layout(256)->total_size, 12288u);
  EXPECT_EQ(legacy_layout(1024)->avail_offset, 16384u);
  EXPECT_EQ(legacy_layout(1024)->used_offset, 20480u);
  EXPECT_EQ(legacy_layout(1024)->total_size, 32768u);
}

TEST(VirtqLayoutTest, QueueSizeMustBeAPowerOfTwoUpTo32768) {
  EXPECT_TRUE(legacy_layout(1).ok());
  EXPECT_TRUE(legacy_layout(32768).ok());
  for (uint32_t bad : {0u, 3u, 255u, 65536u, 0x8001u}) {
    EXPECT_EQ(legacy_layout(bad).error(), Error::kInvalidArgument) << bad;
  }
}

TEST(VirtqueueInitTest, RefusesMisplacedOrShortMemory) {
  FakeDma dma(4 * 4096 + 4096);
  std::vector<DescriptorState> state(256);
  Virtqueue queue;
  const size_t need = spec_layout(256).total;  // 12288
  DmaWindow odd_phys = dma.window(0, need);
  odd_phys.phys += 16;
  EXPECT_EQ(queue.init(odd_phys, state, 256).error(), Error::kInvalidArgument);
  DmaWindow odd_virt = dma.window(16, need);
  odd_virt.phys = kPhysBase;
  EXPECT_EQ(queue.init(odd_virt, state, 256).error(), Error::kInvalidArgument);
  EXPECT_EQ(queue.init(dma.window(0, need - 1), state, 256).error(), Error::kOutOfRange);
  EXPECT_EQ(queue.init(dma.window(0, need), std::span(state).first(255), 256).error(),
            Error::kInvalidArgument);
  EXPECT_EQ(queue.init(dma.window(0, need), state, 100).error(), Error::kInvalidArgument);
  ASSERT_TRUE(queue.init(dma.window(0, need), state, 256).ok());
  EXPECT_EQ(queue.free_descriptors(), 256u);
  EXPECT_EQ(queue.phys(), kPhysBase);
}

TEST_F(VirtqueueTest, DeviceSeesAChainOnlyAfterPublish) {
  make(256);
  const uint16_t head = add({{data(0), 10, false}, {data(4096), 1500, true}});
  EXPECT_TRUE(device_->pop_available().empty());
  queue_.publish();
  auto chains = device_->pop_available();
  ASSERT_EQ(chains.size(), 1u);
  EXPECT_EQ(chains[0].head, head);
  ASSERT_EQ(chains[0].segments.size(), 2u);
  EXPECT_EQ(chains[0].segments[0].phys, data(0));
  EXPECT_EQ(chains[0].segments[0].len, 10u);
  EXPECT_EQ(chains[0].segments[0].flags, kDescFlagNext);
  EXPECT_EQ(chains[0].segments[1].phys, data(4096));
  EXPECT_EQ(chains[0].segments[1].len, 1500u);
  EXPECT_EQ(chains[0].segments[1].flags, kDescFlagWrite);
  EXPECT_EQ(queue_.free_descriptors(), 254u);

  auto none = queue_.take_used();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  device_->complete(head, 1234);
  const UsedBuffer used = take_one();
  EXPECT_EQ(used.head, head);
  EXPECT_EQ(used.len, 1234u);
  EXPECT_EQ(queue_.free_descriptors(), 256u);
  EXPECT_EQ(queue_.in_flight(), 0u);
}

TEST_F(VirtqueueTest, ManyChainsInFlightCompleteOutOfOrder) {
  make(256);
  std::vector<uint16_t> heads;
  for (int i = 0; i < 128; ++i) heads.push_back(add({tx(14), rx(2048)}));
  EXPECT_EQ(queue_.free_descriptors(), 0u);
  EXPECT_EQ(queue_.in_flight(), 128u);
  queue_.publish();
  auto chains = device_->pop_available();
  ASSERT_EQ(chains.size(), 128u);
  std::set<uint16_t> distinct;
  for (const Chain& chain : chains) {
    EXPECT_EQ(chain.segments.size(), 2u);
    for (const DeviceSegment& s : chain.segments) EXPECT_LE(s.len, 2048u);
    distinct.insert(chain.head);
  }
  EXPECT_EQ(distinct.size(), 128u);
  // Completed in reverse, each with its own length.
  for (size_t i = chains.size(); i-- > 0;) device_->write_used(chains[i].head, 100 + i);
  device_->publish_used();
  for (size_t i = chains.size(); i-- > 0;) {
    const UsedBuffer used = take_one();
    EXPECT_EQ(used.head, chains[i].head);
    EXPECT_EQ(used.len, 100 + i);
  }
  EXPECT_EQ(queue_.free_descriptors(), 256u);
  // Every descriptor is usable again, each exactly once.
  distinct.clear();
  for (int i = 0; i < 256; ++i) distinct.insert(add({rx(64)}));
  EXPECT_EQ(distinct.size(), 256u);
}

TEST_F(VirtqueueTest, IndicesWrapPast65535) {
  make(8);
  std::map<uint16_t, uint32_t> expected;  // head → length the device reported
  uint64_t completed = 0;
  uint32_t round = 0;
  while (completed < 70'000) {
    // Fill with chains of 1..3 descriptors until the queue is full.
    for (int added = 0;; ++added) {
      ASSERT_LE(added, 8) << "more chains than descriptors";
      const size_t n = 1 + (round++ % 3);
      std::vector<BufferSegment> segments(n, tx(32));
      segments.back() = rx(1000);
      auto head = queue_.add_buffer(segments);
      if (!head.ok()) {
        ASSERT_EQ(head.error(), Error::kOutOfMemory);
        break;
      }
    }
    queue_.publish();
    auto chains = device_->pop_available();
    ASSERT_FALSE(chains.empty());
    // Out of order: all but the newest in reverse, published together; then the newest.
    for (size_t i = chains.size() - 1; i-- > 0;) {
      const uint32_t len = static_cast<uint32_t>((completed + i) % 1000);
      device_->write_used(chains[i].head, len);
      expected[chains[i].head] = len;
    }
    device_->publish_used();
    for (size_t i = 0; i + 1 < chains.size(); ++i) {
      const UsedBuffer used = take_one();
      ASSERT_EQ(used.len, expected.at(used.head));
      ++completed;
    }
    device_->complete(chains.back().head, 7);
    ASSERT_EQ(take_one().len, 7u);
    ++completed;
  }
  EXPECT_EQ(device_->used_idx(), static_cast<uint16_t>(completed));  // wrapped, not stuck
  EXPECT_EQ(device_->avail_idx(), static_cast<uint16_t>(completed));
  EXPECT_EQ(queue_.in_flight(), 0u);
  EXPECT_EQ(queue_.free_descriptors(), 8u);
  EXPECT_FALSE(queue_.broken());
}

TEST_F(VirtqueueTest, ExhaustionIsAnErrorAndCompletionRecovers) {
  make(4);
  const uint16_t first = add({rx(10)});
  add({rx(10)});
  add({tx(10), rx(10)});
  EXPECT_EQ(queue_.free_descriptors(), 0u);
  const BufferSegment one[] = {rx(10)};
  EXPECT_EQ(queue_.add_buffer(one).error(), Error::kOutOfMemory);
  queue_.publish();
  device_->pop_available();
  device_->complete(first, 10);
  EXPECT_EQ(take_one().head, first);
  // One free: a two-descriptor chain still does not fit and changes nothing.
  const BufferSegment two[] = {tx(1), rx(1)};
  EXPECT_EQ(queue_.add_buffer(two).error(), Error::kOutOfMemory);
  EXPECT_EQ(queue_.free_descriptors(), 1u);
  EXPECT_EQ(add({rx(10)}), first);
  EXPECT_EQ(queue_.in_flight(), 3u);
}

TEST_F(VirtqueueTest, RefusesMalformedChains) {
  make(4);
  EXPECT_EQ(queue_.add_buffer({}).error(), Error::kInvalidArgument);
  const BufferSegment too_long[] = {tx(1), tx(1), tx(1), tx(1), rx(1)};
  EXPECT_EQ(queue_.add_buffer(too_long).error(), Error::kInvalidArgument);
  const BufferSegment readable_after_writable[] = {rx(1), tx(1)};
  EXPECT_EQ(queue_.add_buffer(readable_after_writable).error(), Error::kInvalidArgument);
  EXPECT_EQ(queue_.free_descriptors(), 4u);
}

// A device that scribbles over the descriptor table cannot corrupt the free list: the driver
// follows its private links.
TEST_F(VirtqueueTest, ScribbledDescriptorsDoNotCorruptTheFreeList) {
  make(8);
  const uint16_t a = add({tx(1), tx(1), rx(100)});
  const uint16_t b = add({rx(100)});
  queue_.publish();
  device_->pop_available();
  for (uint16_t i = 0; i < 8; ++i) memset(device_->desc_bytes(i), 0xff, 16);
  device_->complete(a, 100);
  device_->complete(b, 0);
  EXPECT_EQ(take_one().head, a);
  EXPECT_EQ(take_one().head, b);
  std::set<uint16_t> distinct;
  for (int i = 0; i < 8; ++i) distinct.insert(add({rx(1)}));
  EXPECT_EQ(distinct.size(), 8u);
  EXPECT_LT(*distinct.rbegin(), 8u);
}

/// Each malformed used ring: kBadFormat, nothing freed, and the queue stays refused.
class MalformedUsedRingTest : public VirtqueueTest {
 protected:
  void SetUp() override {
    make(8);
    chain_ = add({tx(20), rx(100), rx(50)});  // descriptors 0, 1, 2; 150 writable bytes
    readable_ = add({tx(60)});                // descriptor 3; nothing writable
    queue_.publish();
    device_->pop_available();
  }
  void expect_refused() {
    auto used = queue_.take_used();
    EXPECT_EQ(used.error(), Error::kBadFormat);
    EXPECT_TRUE(queue_.broken());
    EXPECT_EQ(queue_.free_descriptors(), 4u);
    EXPECT_EQ(queue_.in_flight(), 2u);
    EXPECT_EQ(queue_.take_used().error(), Error::kBadFormat);  // sticky until init()
  }
  uint16_t chain_ = 0;
  uint16_t readable_ = 0;
};

TEST_F(MalformedUsedRingTest, AcceptsTheWellFormedBoundary) {
  device_->complete(chain_, 150);  // exactly the writable capacity
  device_->complete(readable_, 0);
  EXPECT_EQ(take_one().len, 150u);
  EXPECT_EQ(take_one().head, readable_);
  EXPECT_FALSE(queue_.broken());
}

TEST_F(MalformedUsedRingTest, IdOutOfRange) {
  device_->complete(8, 0);
  expect_refused();
}

TEST_F(MalformedUsedRingTest, IdBeyond16Bits) {
  device_->complete(0x10000 + chain_, 0);  // would alias chain_ if truncated
  expect_refused();
}

TEST_F(MalformedUsedRingTest, IdNeverMadeAvailable) {
  device_->complete(5, 0);
  expect_refused();
}

TEST_F(MalformedUsedRingTest, IdInsideAChain) {
  device_->complete(1, 0);  // the second descriptor of chain_, not a head
  expect_refused();
}

TEST_F(MalformedUsedRingTest, SameHeadTwice) {
  device_->write_used(readable_, 0);
  device_->write_used(readable_, 0);
  device_->publish_used();
  EXPECT_EQ(take_one().head, readable_);
  auto again = queue_.take_used();
  EXPECT_EQ(again.error(), Error::kBadFormat);
  EXPECT_EQ(queue_.free_descriptors(), 5u);
  EXPECT_EQ(queue_.in_flight(), 1u);
}

TEST_F(MalformedUsedRingTest, LengthBeyondWritableCapacity) {
  device_->complete(chain_, 151);
  expect_refused();
}

TEST_F(MalformedUsedRingTest, LengthIntoAReadOnlyChain) {
  device_->complete(readable_, 1);
  expect_refused();
}

TEST_F(MalformedUsedRingTest, IndexJumpsBeyondTheQueueSize) {
  device_->set_used_idx(9);
  expect_refused();
}

TEST_F(MalformedUsedRingTest, IndexJumpsBeyondWhatIsInFlight) {
  device_->write_used(chain_, 0);
  device_->write_used(readable_, 0);
  device_->write_used(chain_, 0);
  device_->publish_used();  // three used, two in flight
  expect_refused();
}

TEST_F(MalformedUsedRingTest, RefusalLastsUntilInit) {
  device_->complete(8, 0);
  EXPECT_EQ(queue_.take_used().error(), Error::kBadFormat);
  device_->rewind_used();  // the device "takes it back" and then behaves
  device_->complete(readable_, 0);
  EXPECT_EQ(queue_.take_used().error(), Error::kBadFormat);
}

TEST_F(MalformedUsedRingTest, InitRecoversAfterRefusal) {
  device_->complete(8, 0);
  EXPECT_EQ(queue_.take_used().error(), Error::kBadFormat);
  ASSERT_TRUE(queue_.init(dma_->window(0, ring_bytes_), state_, 8).ok());
  EXPECT_FALSE(queue_.broken());
  EXPECT_EQ(queue_.free_descriptors(), 8u);
  EXPECT_EQ(device_->used_idx(), 0u);
}

TEST_F(VirtqueueTest, NotifiesUnlessTheDeviceSaysNotTo) {
  make(16);
  EXPECT_FALSE(queue_.needs_notify());  // nothing published
  add({rx(1)});
  EXPECT_FALSE(queue_.needs_notify());  // added, not published
  queue_.publish();
  EXPECT_TRUE(queue_.needs_notify());
  EXPECT_FALSE(queue_.needs_notify());  // already told
  device_->set_used_flags(kUsedFlagNoNotify);
  add({rx(1)});
  queue_.publish();
  EXPECT_FALSE(queue_.needs_notify());
  device_->set_used_flags(0);
  add({rx(1)});
  queue_.publish();
  EXPECT_TRUE(queue_.needs_notify());
}

TEST_F(VirtqueueTest, EventIndexNotifiesWhenTheEventIsCrossed) {
  make(16, /*event_idx=*/true);
  device_->set_used_flags(kUsedFlagNoNotify);  // ignored with event_idx
  device_->set_avail_event(2);                 // the device wants to hear at the 3rd buffer
  add({rx(1)});
  add({rx(1)});
  queue_.publish();  // idx 0 → 2: event 2 not crossed
  EXPECT_FALSE(queue_.needs_notify());
  add({rx(1)});
  queue_.publish();  // 2 → 3 crosses 2
  EXPECT_TRUE(queue_.needs_notify());
  add({rx(1)});
  queue_.publish();  // 3 → 4, event still 2
  EXPECT_FALSE(queue_.needs_notify());
}

TEST_F(VirtqueueTest, InterruptSuppression) {
  make(16);
  const uint16_t head = add({rx(8)});
  queue_.publish();
  queue_.disable_interrupts();
  EXPECT_EQ(device_->avail_flags(), kAvailFlagNoInterrupt);
  EXPECT_FALSE(queue_.enable_interrupts());
  EXPECT_EQ(device_->avail_flags(), 0u);
  queue_.disable_interrupts();
  device_->complete(head, 8);
  EXPECT_TRUE(queue_.enable_interrupts());  // a buffer arrived while they were off
}

TEST_F(VirtqueueTest, EventIndexMovesUsedEventWhileInterruptsAreOn) {
  make(16, /*event_idx=*/true);
  const uint16_t a = add({rx(8)});
  const uint16_t b = add({rx(8)});
  queue_.publish();
  device_->complete(a, 8);
  take_one();
  EXPECT_EQ(device_->used_event(), 1u);
  queue_.disable_interrupts();
  EXPECT_EQ(device_->avail_flags(), 0u);  // event_idx uses used_event, not the flag
  device_->complete(b, 8);
  take_one();
  EXPECT_EQ(device_->used_event(), 1u);  // off: left behind
  EXPECT_FALSE(queue_.enable_interrupts());
  EXPECT_EQ(device_->used_event(), 2u);
}

}  // namespace
}  // namespace atoll_os::servers::devices
