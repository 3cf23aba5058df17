// Tests of mm's memory slice: the wire codec against malformed input, and sending and
// receiving whole spaces over a fake kernel, including the migration operations of the service.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "atoll/abi/process.h"
#include "mm/memory_service.h"
#include "mm/memory_slice.h"
#include "mm/slice_transfer.h"

namespace atoll_os::servers::mm {
namespace {

using protocols::Call;
using protocols::kSystemBadge;
using protocols::mm::RegionKind;
using protocols::mm::RegionRequest;
using protocols::mm::SliceState;
constexpr protocols::mm::SendMode kWhole = protocols::mm::SendMode::kWhole;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kHeap = abi::kUserHeapBase;
constexpr abi::Handle kDuplicateOffset = 1000;

// Pages per task with bytes and flags; windows are plain buffers. Handles from duplicate()
// name the same task as the originals.
class SliceKernel final : public MemoryKernel {
 public:
  struct Page {
    std::vector<uint8_t> bytes;
    uint32_t flags;
  };
  using Key = std::pair<abi::Handle, uint64_t>;

  static abi::Handle real(abi::Handle h) { return h > kDuplicateOffset ? h - kDuplicateOffset : h; }

  Result<void> map_zeroed(abi::Handle task, uint64_t page, uint32_t flags) override {
    if (pages.count({real(task), page})) return Err(Error::kAlreadyExists);
    pages[{real(task), page}] = {std::vector<uint8_t>(kPage, 0), flags};
    return success();
  }
  Result<void> map_copy(abi::Handle, uint64_t, uint32_t, const uint8_t*, const PageCopy&) override {
    return Err(Error::kNotSupported);
  }
  void close(abi::Handle handle) override { closed.push_back(handle); }
  Result<abi::MemoryInfo> memory_info() override { return abi::MemoryInfo{}; }

  Result<abi::Handle> duplicate(abi::Handle task) override { return task + kDuplicateOffset; }
  Result<uint64_t> query(abi::Handle task, uint64_t vaddr, uint64_t count,
                         uint64_t* bitmap) override {
    ++queries;
    uint64_t set = 0;
    std::memset(bitmap, 0, (count + 63) / 64 * 8);
    for (uint64_t i = 0; i < count; ++i) {
      if (pages.count({real(task), vaddr + i * kPage})) {
        bitmap[i / 64] |= 1ull << (i % 64);
        ++set;
      }
    }
    return set;
  }
  Result<const uint8_t*> borrow(SliceWindow window, abi::Handle task, uint64_t vaddr,
                                uint64_t count) override {
    std::vector<uint8_t>& buffer = windows[window];
    buffer.assign(count * kPage, 0xee);
    for (uint64_t i = 0; i < count; ++i) {
      auto page = pages.find({real(task), vaddr + i * kPage});
      if (page == pages.end()) return Err(Error::kNotFound);
      std::memcpy(buffer.data() + i * kPage, page->second.bytes.data(), kPage);
    }
    return buffer.data();
  }
  Result<uint8_t*> stage(SliceWindow window, uint64_t count) override {
    if (out_of_frames) return Err(Error::kOutOfMemory);
    windows[window].assign(count * kPage, 0);
    return windows[window].data();
  }
  Result<void> install(SliceWindow window, abi::Handle task, uint64_t vaddr, uint64_t count,
                       uint32_t flags) override {
    for (uint64_t i = 0; i < count; ++i) {
      if (pages.count({real(task), vaddr + i * kPage})) return Err(Error::kAlreadyExists);
    }
    for (uint64_t i = 0; i < count; ++i) {
      const uint8_t* bytes = windows[window].data() + i * kPage;
      pages[{real(task), vaddr + i * kPage}] = {std::vector<uint8_t>(bytes, bytes + kPage), flags};
    }
    return success();
  }
  void release(SliceWindow window, uint64_t) override { windows[window].clear(); }
  void unmap(abi::Handle task, uint64_t vaddr, uint64_t count) override {
    for (uint64_t i = 0; i < count; ++i) pages.erase({real(task), vaddr + i * kPage});
  }
  Result<void> wake_sender() override {
    ++wakeups;
    return success();
  }
  Result<uint64_t> take_dirty(abi::Handle task, uint64_t vaddr, uint64_t count,
                              uint64_t* bitmap) override {
    uint64_t set = 0;
    std::memset(bitmap, 0, (count + 63) / 64 * 8);
    for (uint64_t i = 0; i < count; ++i) {
      if (dirty.erase({real(task), vaddr + i * kPage}) != 0) {
        bitmap[i / 64] |= 1ull << (i % 64);
        ++set;
      }
    }
    return set;
  }
  void wake_lazy() override { ++lazy_wakeups; }

  size_t pages_of(abi::Handle task) const {
    size_t n = 0;
    for (const auto& [key, page] : pages) n += key.first == task;
    return n;
  }

  std::map<Key, Page> pages;
  std::set<Key> dirty;
  int lazy_wakeups = 0;
  std::map<SliceWindow, std::vector<uint8_t>> windows;
  std::vector<abi::Handle> closed;
  int queries = 0;
  int wakeups = 0;
  bool out_of_frames = false;
};

class BufferSink final : public SliceSink {
 public:
  Result<void> begin(uint64_t body_bytes) override {
    announced = body_bytes;
    return success();
  }
  Result<void> write(const void* data, size_t length) override {
    const auto* bytes = static_cast<const uint8_t*>(data);
    body.insert(body.end(), bytes, bytes + length);
    return success();
  }
  uint64_t announced = 0;
  std::vector<uint8_t> body;
};

class BufferSource final : public SliceSource {
 public:
  explicit BufferSource(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  Result<void> read_exact(void* out, size_t length) override {
    if (length > bytes_.size() - offset_) return Err(Error::kTruncated);
    std::memcpy(out, bytes_.data() + offset_, length);
    offset_ += length;
    return success();
  }

 private:
  std::vector<uint8_t> bytes_;
  size_t offset_ = 0;
};

RegionRequest zero_region(uint64_t pid, uint64_t start, uint64_t length, uint32_t flags) {
  RegionRequest r{};
  r.pid = pid;
  r.start = start;
  r.length = length;
  r.flags = flags;
  r.kind = RegionKind::kZero;
  return r;
}

SlicePrologue prologue(uint32_t regions, uint64_t runs, uint64_t pages, uint32_t start = 0) {
  return SlicePrologue{kSliceFormat, regions, runs, pages, start, 0};
}

uint64_t body_of(const SlicePrologue& p) {
  return *slice_body_bytes(p.region_count, p.run_count, p.page_count + p.start_pages);
}

// ---- The codec ----------------------------------------------------------------------------

TEST(MemorySliceCodec, BodyBytesAddUpAndOverflowIsAnError) {
  EXPECT_EQ(*slice_body_bytes(0, 0, 0), sizeof(SlicePrologue));
  EXPECT_EQ(*slice_body_bytes(2, 3, 5), 32u + 2 * 56 + 3 * 16 + 5 * 4096);
  EXPECT_EQ(slice_body_bytes(0, 0, ~0ull).error(), Error::kOutOfRange);
  EXPECT_EQ(slice_body_bytes(~0ull / 56 + 1, 0, 0).error(), Error::kOutOfRange);
  EXPECT_EQ(slice_body_bytes(0, ~0ull / 16, ~0ull / 8192).error(), Error::kOutOfRange);
}

TEST(MemorySliceCodec, RegionsRoundTripAndMalformedOnesAreRejected) {
  Region region{0x400000, 0x403000, abi::kVmExecute, RegionKind::kImage, 2, {0x400010, 8, 99}};
  WireRegion wire = encode_region(region);
  Result<RegionRequest> request = decode_region(7, wire);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->pid, 7u);
  EXPECT_EQ(request->start, 0x400000u);
  EXPECT_EQ(request->length, 0x3000u);
  EXPECT_EQ(request->data_vaddr, 0x400010u);
  EXPECT_EQ(request->data_offset, 8u);
  EXPECT_EQ(request->data_size, 99u);
  EXPECT_EQ(request->module, 2u);
  EXPECT_EQ(request->kind, RegionKind::kImage);

  WireRegion empty = wire;
  empty.end = empty.start;
  EXPECT_EQ(decode_region(7, empty).error(), Error::kBadFormat);
  WireRegion backwards = wire;
  backwards.end = 0x1000;
  EXPECT_EQ(decode_region(7, backwards).error(), Error::kBadFormat);
  WireRegion kind = wire;
  kind.kind = 9;
  EXPECT_EQ(decode_region(7, kind).error(), Error::kBadFormat);
  WireRegion reserved = wire;
  reserved.reserved = 1;
  EXPECT_EQ(decode_region(7, reserved).error(), Error::kBadFormat);
  // A zero region ignores the backing fields the sender left in.
  WireRegion zero = wire;
  zero.kind = static_cast<uint32_t>(RegionKind::kZero);
  EXPECT_EQ(decode_region(7, zero)->data_size, 0u);
}

TEST(MemorySliceCodec, PrologueChecks) {
  SliceError why{};
  SlicePrologue good = prologue(2, 3, 10, 1);
  EXPECT_TRUE(check_prologue(good, body_of(good), 10, &why).ok());
  EXPECT_TRUE(check_prologue(prologue(0, 0, 0), sizeof(SlicePrologue), 0, &why).ok());

  auto refused = [&](SlicePrologue p, uint64_t body, uint64_t quota) {
    why = {};
    Result<void> checked = check_prologue(p, body, quota, &why);
    EXPECT_NE(why.reason, nullptr);
    return checked.ok() ? Error::kOk : checked.error();
  };
  SlicePrologue p = good;
  p.format = 2;
  EXPECT_EQ(refused(p, body_of(good), 10), Error::kNotSupported);
  EXPECT_EQ(refused(prologue(kMaxRegions + 1, 3, 10), body_of(good), 10), Error::kBadFormat);
  EXPECT_EQ(refused(prologue(2, 3, 10, 2), body_of(good), 10), Error::kBadFormat);
  p = good;
  p.mode = 5;
  EXPECT_EQ(refused(p, body_of(good), 10), Error::kBadFormat);
  EXPECT_EQ(refused(prologue(2, 3, kMaxSlicePages + 1), 0, ~0ull), Error::kBadFormat);
  EXPECT_EQ(refused(prologue(2, 12, 10, 1), body_of(prologue(2, 12, 10, 1)), 10),
            Error::kBadFormat);  // more runs than pages
  EXPECT_EQ(refused(prologue(2, 1, 65), body_of(prologue(2, 1, 65)), 100),
            Error::kBadFormat);  // 65 pages do not fit one run
  EXPECT_EQ(refused(prologue(2, 0, 0, 1), body_of(prologue(2, 0, 0, 1)), 10), Error::kBadFormat);
  EXPECT_EQ(refused(prologue(0, 1, 1), body_of(prologue(0, 1, 1)), 10), Error::kBadFormat);
  EXPECT_EQ(refused(good, body_of(good) + 1, 10), Error::kBadFormat);
  EXPECT_EQ(refused(good, body_of(good) - 1, 10), Error::kBadFormat);
  EXPECT_EQ(refused(good, 0, 10), Error::kBadFormat);
  why = {};
  EXPECT_EQ(check_prologue(good, body_of(good), 9, &why).error(), Error::kOutOfMemory);
  EXPECT_STREQ(why.reason, "the process needs more pages than its quota");
}

TEST(MemorySliceCodec, RunChecks) {
  AddressSpace space(9, 1, 100);
  ASSERT_TRUE(space.add_region(zero_region(9, kHeap, 0x10000, abi::kVmWrite), 0).ok());
  ASSERT_TRUE(space.add_region(zero_region(9, kHeap + 0x10000, 0x4000, abi::kVmExecute), 0).ok());
  SlicePrologue p = prologue(2, 3, 6, 1);
  SliceError why{};
  auto check = [&](PageRun run, RunTally& tally) {
    why = {};
    Result<void> checked = check_run(run, p, space, tally, &why);
    if (!checked.ok()) {
      EXPECT_NE(why.reason, nullptr);
    }
    return checked.ok() ? Error::kOk : checked.error();
  };
  RunTally fresh;
  EXPECT_EQ(check({kHeap + 1, 1, abi::kVmWrite}, fresh), Error::kBadFormat);  // misaligned
  EXPECT_EQ(check({kHeap, 0, abi::kVmWrite}, fresh), Error::kBadFormat);
  EXPECT_EQ(check({kHeap, kMaxRunPages + 1, abi::kVmWrite}, fresh), Error::kBadFormat);
  EXPECT_EQ(check({0x1000, 1, abi::kVmWrite}, fresh), Error::kOutOfRange);  // no region
  EXPECT_EQ(check({abi::kUserSpaceEnd, 1, 0}, fresh), Error::kOutOfRange);
  EXPECT_EQ(check({~0ull & ~(kPage - 1), 1, 0}, fresh), Error::kOutOfRange);
  // Straddles the end of the first region into the second: outside one region.
  EXPECT_EQ(check({kHeap + 0xf000, 2, abi::kVmWrite}, fresh), Error::kOutOfRange);
  EXPECT_EQ(check({kHeap, 1, abi::kVmExecute}, fresh), Error::kBadFormat);  // wrong flags
  EXPECT_EQ(check({abi::kProcessStartAddress, 2, abi::kVmRead}, fresh), Error::kBadFormat);
  EXPECT_EQ(check({abi::kProcessStartAddress, 1, abi::kVmWrite}, fresh), Error::kBadFormat);
  EXPECT_EQ(fresh.runs, 0u);
  EXPECT_EQ(fresh.pages, 0u);

  RunTally tally;
  EXPECT_EQ(check({abi::kProcessStartAddress, 1, abi::kVmRead}, tally), Error::kOk);
  EXPECT_EQ(check({abi::kProcessStartAddress, 1, abi::kVmRead}, tally), Error::kBadFormat);
  EXPECT_EQ(check({kHeap, 4, abi::kVmWrite}, tally), Error::kOk);
  EXPECT_EQ(check({kHeap + 0x10000, 3, abi::kVmExecute}, tally), Error::kBadFormat);  // 7 > 6
  EXPECT_EQ(check({kHeap + 0x10000, 2, abi::kVmExecute}, tally), Error::kOk);
  EXPECT_EQ(check({kHeap + 0x8000, 1, abi::kVmWrite}, tally), Error::kBadFormat);  // 4th run
  EXPECT_EQ(tally.runs, 3u);
  EXPECT_EQ(tally.pages, 6u);
  EXPECT_EQ(tally.start_pages, 1u);

  RunTally unannounced;
  SlicePrologue no_start = prologue(2, 3, 6, 0);
  EXPECT_FALSE(
      check_run({abi::kProcessStartAddress, 1, abi::kVmRead}, no_start, space, unannounced, &why)
          .ok());
}

// ---- Whole slices over the fake kernel ---------------------------------------------------

class MemorySliceTest : public ::testing::Test {
 protected:
  static constexpr abi::Handle kSourceTask = 50;
  static constexpr abi::Handle kDestinationTask = 60;
  static constexpr uint64_t kPid = 9;

  void SetUp() override {
    image_.assign(0x3000, 0);
    for (size_t i = 0; i < image_.size(); ++i) image_[i] = static_cast<uint8_t>(i * 3);
    table_.count = 1;
    table_.modules[0].address = reinterpret_cast<uint64_t>(image_.data());
    table_.modules[0].size = image_.size();
    std::strcpy(table_.modules[0].name, "app");
    create(source_, kSourceTask, 0);
    create(destination_, kDestinationTask, 0);
    // The source's regions: text from the module, a heap and a stack.
    RegionRequest text{
        kPid, 0x400000, 0x3000, 0x400000, 0, 0x2800, abi::kVmExecute, RegionKind::kImage, 0, 0};
    add(source_, text);
    add(source_, zero_region(kPid, kHeap, 0x1000000, abi::kVmWrite));
    add(source_, zero_region(kPid, abi::kUserStackTop - 0x100000, 0x100000, abi::kVmWrite));
    // Resident: one text page, 150 heap pages in a row (three runs), scattered ones, the top
    // of the stack, and the start page.
    touch(0x401000, abi::kVmExecute);
    for (uint64_t i = 0; i < 150; ++i) touch(kHeap + 0x20000 + i * kPage, abi::kVmWrite);
    for (uint64_t i = 0; i < 20; ++i) touch(kHeap + 0x400000 + i * 3 * kPage, abi::kVmWrite);
    touch(abi::kUserStackTop - kPage, abi::kVmWrite);
    touch(abi::kProcessStartAddress, abi::kVmRead);
  }

  void create(MemoryService& service, abi::Handle task, uint64_t quota) {
    Call call;
    call.badge = kSystemBadge;
    call.received.add(task);
    ASSERT_TRUE(service.create_space({kPid, quota}, call).ok());
  }
  void add(MemoryService& service, const RegionRequest& region) {
    Call call;
    call.badge = kSystemBadge;
    ASSERT_TRUE(service.add_region(region, call).ok());
  }
  void touch(uint64_t page, uint32_t flags) {
    std::vector<uint8_t> bytes(kPage);
    for (size_t i = 0; i < kPage; ++i) bytes[i] = static_cast<uint8_t>(page >> 12 ^ i * 13);
    kernel_.pages[{kSourceTask, page}] = {bytes, flags};
    kernel_.dirty.insert({kSourceTask, page});
    ++source_pages_;
  }
  // The running process writes a page it has.
  void write(uint64_t page, uint8_t value) {
    std::vector<uint8_t>& bytes = kernel_.pages.at({kSourceTask, page}).bytes;
    std::fill(bytes.begin(), bytes.end(), value);
    kernel_.dirty.insert({kSourceTask, page});
  }

  // Sends the source space with `options`; the body, or the refusal in why_.
  Result<std::vector<uint8_t>> send_with(SendOptions options, size_t run_capacity = 64) {
    why_ = {};
    SendJob job = queue_and_take();
    std::vector<PageRun> runs(run_capacity);
    std::vector<uint64_t> bitmap(64);
    SendScratch scratch{runs.data(), run_capacity, bitmap.data(), 4096};
    BufferSink sink;
    Result<SendTotals> totals =
        send_memory_slice(kernel_, job.space, job.task, scratch, sink, &why_, options);
    protocols::mm::SliceStatus status{};
    status.state = SliceState::kDone;
    status.migration_id = job.request.migration_id;
    source_.finish_send(status);
    if (!totals.ok()) return Err(totals.error());
    EXPECT_EQ(totals->body_bytes, sink.body.size());
    return sink.body;
  }

  // Sends the source space; the body.
  std::vector<uint8_t> send(size_t run_capacity = 64) {
    SliceError why{};
    SendJob job = queue_and_take();
    std::vector<PageRun> runs(run_capacity);
    std::vector<uint64_t> bitmap(64);  // 4096 pages per query: several per region
    SendScratch scratch{runs.data(), run_capacity, bitmap.data(), 4096};
    BufferSink sink;
    Result<SendTotals> totals =
        send_memory_slice(kernel_, job.space, job.task, scratch, sink, &why);
    protocols::mm::SliceStatus status{};
    status.state = SliceState::kDone;
    status.migration_id = job.request.migration_id;
    source_.finish_send(status);
    EXPECT_TRUE(totals.ok()) << why.reason;
    EXPECT_EQ(totals->body_bytes, sink.body.size());
    EXPECT_EQ(sink.announced, sink.body.size());
    EXPECT_EQ(totals->pages, source_pages_);
    return sink.body;
  }

  SendJob queue_and_take() {
    Call call;
    call.badge = kSystemBadge;
    EXPECT_TRUE(source_.space_send({kPid, 77, 0x0100000a, kWhole, 0, 0}, call).ok());
    SendJob job{};
    EXPECT_TRUE(source_.take_send(job));
    return job;
  }

  // Receives `body` into the destination space; the page count, or the refusal in why_.
  Result<uint64_t> receive(const std::vector<uint8_t>& body, uint64_t body_bytes) {
    why_ = {};
    SliceError refusal{};
    Result<ReceiveTarget> target = destination_.prepare_receive(kPid, &refusal);
    EXPECT_TRUE(target.ok()) << refusal.reason;
    BufferSource source(body);
    Result<uint64_t> pages = receive_memory_slice(kernel_, destination_, target->space,
                                                  target->task, body_bytes, source, &why_);
    if (pages.ok()) {
      Result<void> committed = destination_.commit_receive(*target, &why_);
      if (!committed.ok()) return Err(committed.error());
    }
    return pages;
  }

  void expect_same_pages() {
    size_t compared = 0;
    for (const auto& [key, page] : kernel_.pages) {
      if (key.first != kSourceTask) continue;
      auto copy = kernel_.pages.find({kDestinationTask, key.second});
      ASSERT_NE(copy, kernel_.pages.end()) << std::hex << key.second;
      EXPECT_EQ(copy->second.bytes, page.bytes) << std::hex << key.second;
      EXPECT_EQ(copy->second.flags, page.flags) << std::hex << key.second;
      ++compared;
    }
    EXPECT_EQ(compared, source_pages_);
    EXPECT_EQ(kernel_.pages_of(kDestinationTask), source_pages_);
  }

  std::vector<uint8_t> image_;
  abi::BootModuleTable table_{};
  SliceKernel kernel_;
  MemoryService source_{kernel_, &table_};
  MemoryService destination_{kernel_, &table_};
  uint64_t source_pages_ = 0;
  SliceError why_{};
};

TEST_F(MemorySliceTest, ASpaceArrivesWholeWithItsRegionsPagesAndStartPage) {
  std::vector<uint8_t> body = send();
  Result<uint64_t> pages = receive(body, body.size());
  ASSERT_TRUE(pages.ok()) << why_.reason;
  EXPECT_EQ(*pages, source_pages_);
  expect_same_pages();
  Call call;
  call.badge = kSystemBadge;
  protocols::mm::SpaceInfo info = *destination_.space_info({kPid}, call);
  EXPECT_EQ(info.region_count, 3u);
  EXPECT_EQ(info.resident_pages, source_pages_ - 1);  // the start page is pm's, not counted
  // The body: prologue, regions, then runs no longer than kMaxRunPages.
  SlicePrologue p;
  std::memcpy(&p, body.data(), sizeof(p));
  EXPECT_EQ(p.region_count, 3u);
  EXPECT_EQ(p.start_pages, 1u);
  EXPECT_EQ(p.page_count, source_pages_ - 1);
  EXPECT_EQ(p.run_count, 1u + 1 + 3 + 20 + 1);  // start, text, heap row, scattered, stack
}

TEST_F(MemorySliceTest, ImagePagesNotResidentStillFaultFromTheModuleAfterwards) {
  std::vector<uint8_t> body = send();
  ASSERT_TRUE(receive(body, body.size()).ok()) << why_.reason;
  abi::Message message{};
  message.header.label = abi::kLabelPageFault;
  message.header.badge = kPid;
  message.header.length = sizeof(abi::PageFault);
  abi::PageFault fault{0x400000, 0x400000, abi::kFaultExecute, 0};
  std::memcpy(message.payload, &fault, sizeof(fault));
  // The fake's map_copy refuses, so the decision reaches the kernel only for module pages:
  // the region (and its backing) arrived.
  FaultOutcome outcome = destination_.handle_fault(message);
  EXPECT_FALSE(outcome.resolved);
  EXPECT_STREQ(outcome.reason, "not_supported");
}

TEST_F(MemorySliceTest, AFullRunTableIsRescannedFromWhereItStopped) {
  std::vector<uint8_t> whole = send(64);
  std::vector<uint8_t> overflowed = send(2);
  EXPECT_EQ(overflowed, whole);
}

TEST_F(MemorySliceTest, EveryTruncationIsRefusedAndLeavesTheTaskEmpty) {
  std::vector<uint8_t> body = send();
  std::vector<size_t> cuts = {0,
                              1,
                              31,
                              32,
                              32 + 55,
                              32 + 3 * 56,
                              32 + 3 * 56 + 8,
                              32 + 3 * 56 + 16 + 100,
                              body.size() / 2,
                              body.size() - 1};
  for (size_t cut : cuts) {
    std::vector<uint8_t> part(body.begin(), body.begin() + cut);
    Result<uint64_t> pages = receive(part, body.size());
    EXPECT_FALSE(pages.ok()) << cut;
    EXPECT_NE(why_.reason, nullptr) << cut;
    EXPECT_EQ(kernel_.pages_of(kDestinationTask), 0u) << cut;
  }
  // And the space is still empty, so the whole slice is still taken.
  ASSERT_TRUE(receive(body, body.size()).ok()) << why_.reason;
  expect_same_pages();
}

TEST_F(MemorySliceTest, ALengthThatDisagreesWithTheCountsIsRefused) {
  std::vector<uint8_t> body = send();
  EXPECT_EQ(receive(body, body.size() + kPage).error(), Error::kBadFormat);
  EXPECT_STREQ(why_.reason, "memory slice length does not match its counts");
  EXPECT_EQ(receive(body, body.size() - 1).error(), Error::kBadFormat);
}

// The offset of the first run record after the prologue and regions.
constexpr size_t kFirstRun = sizeof(SlicePrologue) + 3 * sizeof(WireRegion);

TEST_F(MemorySliceTest, CorruptRunsAreRefusedAndUndone) {
  std::vector<uint8_t> body = send();
  // The second run (after the start page's record and page): the text page.
  size_t second = kFirstRun + sizeof(PageRun) + kPage;
  PageRun run;
  std::memcpy(&run, &body[second], sizeof(run));
  ASSERT_EQ(run.start, 0x401000u);

  auto with_run = [&](PageRun changed) {
    std::vector<uint8_t> bad = body;
    std::memcpy(&bad[second], &changed, sizeof(changed));
    return bad;
  };
  PageRun outside = run;
  outside.start = 0x800000;
  EXPECT_EQ(receive(with_run(outside), body.size()).error(), Error::kOutOfRange);
  EXPECT_STREQ(why_.reason, "a page run lies outside the regions sent");
  PageRun writable = run;
  writable.flags = abi::kVmWrite | abi::kVmExecute;
  EXPECT_EQ(receive(with_run(writable), body.size()).error(), Error::kBadFormat);
  PageRun twice = run;
  twice.start = abi::kProcessStartAddress;  // the start page's again
  twice.flags = abi::kVmRead;
  EXPECT_EQ(receive(with_run(twice), body.size()).error(), Error::kBadFormat);
  EXPECT_EQ(kernel_.pages_of(kDestinationTask), 0u);
}

TEST_F(MemorySliceTest, APageSentTwiceIsRefused) {
  std::vector<uint8_t> body = send();
  // Point the stack run (the last) at the first heap page, which the heap row already sent.
  size_t last = body.size() - kPage - sizeof(PageRun);
  PageRun run;
  std::memcpy(&run, &body[last], sizeof(run));
  ASSERT_EQ(run.start, abi::kUserStackTop - kPage);
  run.start = kHeap + 0x20000;
  std::memcpy(&body[last], &run, sizeof(run));
  EXPECT_EQ(receive(body, body.size()).error(), Error::kBadFormat);
  EXPECT_STREQ(why_.reason, "a page was sent twice");
  EXPECT_EQ(kernel_.pages_of(kDestinationTask), 0u);
}

TEST_F(MemorySliceTest, CorruptRegionsAreRefusedWithAddRegionsChecks) {
  std::vector<uint8_t> body = send();
  auto with_region = [&](size_t index, auto change) {
    std::vector<uint8_t> bad = body;
    WireRegion region;
    size_t at = sizeof(SlicePrologue) + index * sizeof(WireRegion);
    std::memcpy(&region, &bad[at], sizeof(region));
    change(region);
    std::memcpy(&bad[at], &region, sizeof(region));
    return bad;
  };
  EXPECT_EQ(receive(with_region(1, [](WireRegion& r) { r.start = 0x400000; }), body.size()).error(),
            Error::kAlreadyExists);  // overlaps the text
  EXPECT_EQ(receive(with_region(0, [](WireRegion& r) { r.module = 5; }), body.size()).error(),
            Error::kOutOfRange);  // no such module
  EXPECT_EQ(receive(with_region(2, [](WireRegion& r) { r.end = abi::kUserSpaceEnd + kPage; }),
                    body.size())
                .error(),
            Error::kOutOfRange);
  EXPECT_EQ(receive(with_region(2, [](WireRegion& r) { r.start = abi::kProcessStartAddress; }),
                    body.size())
                .error(),
            Error::kAlreadyExists);
  EXPECT_EQ(receive(with_region(1, [](WireRegion& r) { r.flags = abi::kVmUncached; }), body.size())
                .error(),
            Error::kInvalidArgument);
  EXPECT_EQ(kernel_.pages_of(kDestinationTask), 0u);
}

TEST_F(MemorySliceTest, AQuotaTooSmallIsRefusedWithAReason) {
  Call call;
  call.badge = kSystemBadge;
  ASSERT_TRUE(destination_.destroy_space({kPid}, call).ok());
  create(destination_, kDestinationTask, 10);
  std::vector<uint8_t> body = send();
  EXPECT_EQ(receive(body, body.size()).error(), Error::kOutOfMemory);
  EXPECT_STREQ(why_.reason, "the process needs more pages than its quota");
  EXPECT_EQ(kernel_.pages_of(kDestinationTask), 0u);
}

TEST_F(MemorySliceTest, NoFramesIsRefusedAndUndone) {
  std::vector<uint8_t> body = send();
  kernel_.out_of_frames = true;
  EXPECT_EQ(receive(body, body.size()).error(), Error::kOutOfMemory);
  EXPECT_EQ(kernel_.pages_of(kDestinationTask), 0u);
}

TEST_F(MemorySliceTest, OnlyAnEmptyPreparedSpaceReceivesAWholeSlice) {
  SliceError why{};
  EXPECT_EQ(destination_.prepare_receive(1234, &why).error(), Error::kNotFound);
  std::vector<uint8_t> body = send();
  add(destination_, zero_region(kPid, kHeap, 0x1000, abi::kVmWrite));
  EXPECT_EQ(receive(body, body.size()).error(), Error::kAlreadyExists);
  EXPECT_STREQ(why_.reason, "the prepared space is not empty");
}

TEST_F(MemorySliceTest, ASpaceDestroyedDuringTheTransferIsNotCommitted) {
  std::vector<uint8_t> body = send();
  SliceError why{};
  Result<ReceiveTarget> target = destination_.prepare_receive(kPid, &why);
  ASSERT_TRUE(target.ok());
  BufferSource source(body);
  ASSERT_TRUE(receive_memory_slice(kernel_, destination_, target->space, target->task, body.size(),
                                   source, &why)
                  .ok());
  Call call;
  call.badge = kSystemBadge;
  ASSERT_TRUE(destination_.destroy_space({kPid}, call).ok());
  create(destination_, 61, 0);  // pm retried with a new task
  EXPECT_EQ(destination_.commit_receive(*target, &why).error(), Error::kNotFound);
  EXPECT_EQ(destination_.space_info({kPid}, call)->region_count, 0u);
}

// ---- The service's send operations --------------------------------------------------------

TEST_F(MemorySliceTest, SpaceSendQueuesOneSendAndReportsItsStatus) {
  Call call;
  call.badge = kSystemBadge;
  EXPECT_EQ(source_.space_send({4321, 1, 0, kWhole, 0, 0}, call).error(), Error::kNotFound);
  EXPECT_EQ(source_.space_send_status({1}, call)->state, SliceState::kNone);

  ASSERT_TRUE(source_.space_send({kPid, 5, 0x0100000a, kWhole, 0, 0}, call).ok());
  EXPECT_EQ(kernel_.wakeups, 1);
  EXPECT_EQ(source_.space_send({kPid, 6, 0x0100000a, kWhole, 0, 0}, call).error(), Error::kBusy);
  EXPECT_EQ(source_.space_send_status({5}, call)->state, SliceState::kRunning);
  SendJob job{};
  ASSERT_TRUE(source_.take_send(job));
  EXPECT_FALSE(source_.take_send(job));
  EXPECT_EQ(job.request.migration_id, 5u);
  EXPECT_EQ(job.task, kSourceTask + kDuplicateOffset);  // the thread's own handle
  EXPECT_EQ(job.space.region_count(), 3u);
  EXPECT_EQ(source_.space_send({kPid, 6, 0x0100000a, kWhole, 0, 0}, call).error(), Error::kBusy);

  protocols::mm::SliceStatus done{};
  done.state = SliceState::kDone;
  done.migration_id = 5;
  done.pages_sent = 42;
  source_.finish_send(done);
  Result<protocols::mm::SliceStatus> status = source_.space_send_status({5}, call);
  EXPECT_EQ(status->state, SliceState::kDone);
  EXPECT_EQ(status->pages_sent, 42u);
  ASSERT_TRUE(source_.space_send({kPid, 6, 0x0100000a, kWhole, 0, 0}, call).ok());
  EXPECT_EQ(source_.space_send_status({5}, call)->state, SliceState::kDone);  // still known
  EXPECT_EQ(source_.space_send_status({6}, call)->state, SliceState::kRunning);

  Call stranger;
  stranger.badge = 12;
  EXPECT_EQ(source_.space_send({kPid, 7, 0, kWhole, 0, 0}, stranger).error(), Error::kAccessDenied);
  EXPECT_EQ(source_.space_send_status({5}, stranger).error(), Error::kAccessDenied);
}

// ---- Precopy: rounds over a running process ----------------------------------------------

SendOptions first_round() {
  SendOptions options;
  options.clear_dirty_first = true;
  options.running = true;
  return options;
}

SendOptions dirty_round() {
  SendOptions options;
  options.mode = kSliceIncremental;
  options.dirty_only = true;
  options.running = true;
  return options;
}

TEST_F(MemorySliceTest, PrecopyRoundsSendTheDirtyPagesOverTheEarlierOnes) {
  Result<std::vector<uint8_t>> first = send_with(first_round());
  ASSERT_TRUE(first.ok()) << why_.reason;
  EXPECT_TRUE(kernel_.dirty.empty());  // later rounds count from the first
  ASSERT_TRUE(receive(*first, first->size()).ok()) << why_.reason;
  // The process writes three heap pages and the stack meanwhile.
  write(kHeap + 0x20000, 0x11);
  write(kHeap + 0x21000, 0x22);
  write(kHeap + 0x400000, 0x33);
  write(abi::kUserStackTop - kPage, 0x44);
  Result<std::vector<uint8_t>> second = send_with(dirty_round());
  ASSERT_TRUE(second.ok()) << why_.reason;
  SlicePrologue p;
  std::memcpy(&p, second->data(), sizeof(p));
  EXPECT_EQ(p.mode, uint32_t{kSliceIncremental});
  EXPECT_EQ(p.page_count, 4u);
  EXPECT_EQ(p.run_count, 3u);  // two heap pages in a row, one apart, the stack
  Result<uint64_t> pages = receive(*second, second->size());
  ASSERT_TRUE(pages.ok()) << why_.reason;
  EXPECT_EQ(*pages, 4u);
  expect_same_pages();
  Call call;
  call.badge = kSystemBadge;
  EXPECT_EQ(destination_.space_info({kPid}, call)->resident_pages, source_pages_ - 1);
  // Nothing written since: an empty round.
  Result<std::vector<uint8_t>> third = send_with(dirty_round());
  ASSERT_TRUE(third.ok());
  std::memcpy(&p, third->data(), sizeof(p));
  EXPECT_EQ(p.page_count, 0u);
  ASSERT_TRUE(receive(*third, third->size()).ok()) << why_.reason;
  expect_same_pages();
}

TEST_F(MemorySliceTest, APageNewSinceTheFirstRoundArrivesAndIsCountedOnce) {
  Result<std::vector<uint8_t>> first = send_with(first_round());
  ASSERT_TRUE(receive(*first, first->size()).ok()) << why_.reason;
  touch(kHeap + 0x800000, abi::kVmWrite);  // a fresh page, written
  Result<std::vector<uint8_t>> second = send_with(dirty_round());
  ASSERT_TRUE(receive(*second, second->size()).ok()) << why_.reason;
  expect_same_pages();
  Call call;
  call.badge = kSystemBadge;
  EXPECT_EQ(destination_.space_info({kPid}, call)->resident_pages, source_pages_ - 1);
}

TEST_F(MemorySliceTest, ALaterRoundNeedsTheFirstAndTheSameRegions) {
  write(kHeap + 0x20000, 0x11);
  Result<std::vector<uint8_t>> dirty = send_with(dirty_round());
  ASSERT_TRUE(dirty.ok());
  EXPECT_EQ(receive(*dirty, dirty->size()).error(), Error::kAlreadyExists);
  EXPECT_STREQ(why_.reason, "a later round for a space without a first");

  Result<std::vector<uint8_t>> first = send_with(first_round());
  ASSERT_TRUE(receive(*first, first->size()).ok());
  add(source_, zero_region(kPid, 0x300000, 0x1000, abi::kVmWrite));  // a region appeared
  write(kHeap + 0x20000, 0x12);
  Result<std::vector<uint8_t>> later = send_with(dirty_round());
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(receive(*later, later->size()).error(), Error::kBusy);
  EXPECT_STREQ(why_.reason, "the regions changed between rounds");
}

TEST_F(MemorySliceTest, ARunningSpaceTooScatteredForTheRunTableIsRefused) {
  EXPECT_EQ(send_with(first_round(), 2).error(), Error::kOutOfRange);
  EXPECT_STREQ(why_.reason, "too many scattered pages for this strategy");
  for (uint64_t i = 0; i < 20; ++i) write(kHeap + 0x400000 + i * 3 * kPage, 1);
  EXPECT_EQ(send_with(dirty_round(), 4).error(), Error::kOutOfRange);
}

// ---- Lazy and postcopy: the page map -----------------------------------------------------

class RecordingKeeper final : public MapKeeper {
 public:
  Result<void> keep(const PageRun& run) override {
    if (fail) return Err(Error::kOutOfMemory);
    kept.push_back(run);
    return success();
  }
  std::vector<PageRun> kept;
  bool fail = false;
};

TEST_F(MemorySliceTest, AMapSliceCarriesTheRegionsAndWhichPagesStayNotTheirBytes) {
  RecordingKeeper keeper;
  SendOptions options;
  options.mode = kSliceMapPush;
  options.keeper = &keeper;
  Result<std::vector<uint8_t>> body = send_with(options);
  ASSERT_TRUE(body.ok()) << why_.reason;
  // 25 runs listed, one page's bytes (the start page).
  EXPECT_EQ(body->size(), *slice_body_bytes(3, 26, 1));
  EXPECT_EQ(keeper.kept.size(), 25u);
  uint64_t kept_pages = 0;
  for (const PageRun& run : keeper.kept) kept_pages += run.pages;
  EXPECT_EQ(kept_pages, source_pages_ - 1);

  std::vector<PageRun> runs(kMapRuns);
  RemoteMapOut map{runs.data(), runs.size(), 0, kSliceWhole, 0};
  SliceError refusal{};
  Result<ReceiveTarget> target = destination_.prepare_receive(kPid, &refusal);
  ASSERT_TRUE(target.ok());
  BufferSource source(*body);
  Result<uint64_t> pages = receive_memory_slice(kernel_, destination_, target->space, target->task,
                                                body->size(), source, &why_, &map);
  ASSERT_TRUE(pages.ok()) << why_.reason;
  EXPECT_EQ(*pages, 1u);
  EXPECT_EQ(map.mode, uint32_t{kSliceMapPush});
  EXPECT_EQ(map.count, 25u);
  EXPECT_EQ(kernel_.pages_of(kDestinationTask), 1u);  // the start page only
  ASSERT_TRUE(destination_.commit_receive(*target, &why_).ok());
  ASSERT_TRUE(destination_.open_lazy(kPid, 77, 0x0100000a, true, map.runs, map.count).ok());
  EXPECT_EQ(kernel_.lazy_wakeups, 0);  // postcopy: not while the process is still frozen

  // A fault on a page left at the source is the caller's to fetch; one never resident is not.
  abi::Message message{};
  message.header.label = abi::kLabelPageFault;
  message.header.badge = kPid;
  message.header.length = sizeof(abi::PageFault);
  abi::PageFault fault{kHeap + 0x20010, 0x400000, abi::kFaultWrite, 0};
  std::memcpy(message.payload, &fault, sizeof(fault));
  FaultOutcome remote = destination_.handle_fault(message);
  EXPECT_TRUE(remote.remote);
  EXPECT_EQ(kernel_.lazy_wakeups, 1);  // it runs here: the background stream starts
  EXPECT_TRUE(destination_.lazy().slot(0).pushing);
  EXPECT_EQ(remote.address, kHeap + 0x20000);
  EXPECT_EQ(message.header.label, abi::kLabelPageFault);  // not answered yet
  FaultOutcome refused = destination_.finish_remote_fault(message, remote, false, "gone");
  EXPECT_FALSE(refused.resolved);
  EXPECT_EQ(message.header.label, abi::kLabelFaultRefused);
  fault.address = kHeap + 0x900000;
  std::memcpy(message.payload, &fault, sizeof(fault));
  message.header.label = abi::kLabelPageFault;
  message.header.length = sizeof(abi::PageFault);
  FaultOutcome local = destination_.handle_fault(message);
  EXPECT_FALSE(local.remote);
  EXPECT_TRUE(local.resolved);

  // The process ends with pages at the source: the lazy thread is told.
  Call call;
  call.badge = kSystemBadge;
  ASSERT_TRUE(destination_.destroy_space({kPid}, call).ok());
  EXPECT_EQ(kernel_.lazy_wakeups, 2);
  EXPECT_TRUE(destination_.lazy().slot(0).ending);
}

TEST_F(MemorySliceTest, AMapSliceIsRefusedWithoutRoomForItsMapOrAKeeper) {
  RecordingKeeper keeper;
  SendOptions options;
  options.mode = kSliceMap;
  EXPECT_EQ(send_with(options).error(), Error::kInvalidArgument);  // no keeper
  keeper.fail = true;
  options.keeper = &keeper;
  EXPECT_EQ(send_with(options).error(), Error::kOutOfMemory);
  keeper.fail = false;
  Result<std::vector<uint8_t>> body = send_with(options);
  ASSERT_TRUE(body.ok());
  std::vector<PageRun> runs(4);
  RemoteMapOut small{runs.data(), runs.size(), 0, kSliceWhole, 0};
  SliceError refusal{};
  Result<ReceiveTarget> target = destination_.prepare_receive(kPid, &refusal);
  BufferSource source(*body);
  EXPECT_EQ(receive_memory_slice(kernel_, destination_, target->space, target->task, body->size(),
                                 source, &why_, &small)
                .error(),
            Error::kOutOfRange);
  EXPECT_STREQ(why_.reason, "the page map is too scattered to hold");
  EXPECT_EQ(kernel_.pages_of(kDestinationTask), 0u);  // undone
  Result<ReceiveTarget> fresh = destination_.prepare_receive(kPid, &refusal);
  BufferSource again(*body);
  EXPECT_EQ(receive_memory_slice(kernel_, destination_, fresh->space, fresh->task, body->size(),
                                 again, &why_, nullptr)
                .error(),
            Error::kOutOfRange);
}

// ---- flush and eager-dirty: store slices -------------------------------------------------

class RecordingSaver final : public PageSaver {
 public:
  Result<void> save(const PageRun& run, const uint8_t* bytes) override {
    if (fail) return Err(Error::kOutOfMemory);
    for (uint32_t i = 0; i < run.pages; ++i) {
      pages[run.start + i * kPage] =
          std::vector<uint8_t>(bytes + i * kPage, bytes + (i + 1) * kPage);
    }
    return success();
  }
  std::map<uint64_t, std::vector<uint8_t>> pages;
  bool fail = false;
};

constexpr uint32_t kStoreIp = 0x0200000a;

class StoreSliceTest : public MemorySliceTest {
 protected:
  // Sends the source space as a store slice with `options` (mode and store set here).
  Result<std::vector<uint8_t>> send_store(SendOptions options) {
    options.mode = kSliceStore;
    options.store_ip = kStoreIp;
    why_ = {};
    SendJob job = queue_and_take();
    std::vector<PageRun> runs(64);
    std::vector<uint64_t> masks(64);
    std::vector<uint64_t> bitmap(64);
    SendScratch scratch{runs.data(), runs.size(), bitmap.data(), 4096, masks.data()};
    BufferSink sink;
    Result<SendTotals> totals =
        send_memory_slice(kernel_, job.space, job.task, scratch, sink, &why_, options);
    protocols::mm::SliceStatus status{};
    status.state = SliceState::kDone;
    status.migration_id = job.request.migration_id;
    source_.finish_send(status);
    if (!totals.ok()) return Err(totals.error());
    EXPECT_EQ(totals->body_bytes, sink.body.size());
    EXPECT_EQ(sink.announced, sink.body.size());
    return sink.body;
  }

  // Receives a store slice; the pages installed, the map in map_.
  Result<uint64_t> receive_store(const std::vector<uint8_t>& body, uint64_t body_bytes) {
    map_ = {map_runs_.data(), map_runs_.size(), 0, kSliceWhole, 0};
    SliceError refusal{};
    Result<ReceiveTarget> target = destination_.prepare_receive(kPid, &refusal);
    EXPECT_TRUE(target.ok()) << refusal.reason;
    BufferSource source(body);
    return receive_memory_slice(kernel_, destination_, target->space, target->task, body_bytes,
                                source, &why_, &map_);
  }

  uint64_t map_pages() const {
    uint64_t pages = 0;
    for (size_t i = 0; i < map_.count; ++i) pages += map_.runs[i].pages;
    return pages;
  }

  std::vector<PageRun> map_runs_ = std::vector<PageRun>(kMapRuns);
  RemoteMapOut map_{};
};

TEST_F(StoreSliceTest, FlushSavesEveryPageAndTheSliceListsThemInTheStore) {
  RecordingSaver saver;
  SendOptions options;
  options.saver = &saver;
  Result<std::vector<uint8_t>> body = send_store(options);
  ASSERT_TRUE(body.ok()) << why_.reason;
  EXPECT_EQ(saver.pages.size(), source_pages_ - 1);  // all but pm's start page
  for (const auto& [address, bytes] : saver.pages) {
    EXPECT_EQ(bytes, kernel_.pages.at({kSourceTask, address}).bytes) << std::hex << address;
  }
  // 25 runs listed without bytes, the start page with its bytes, and the note.
  EXPECT_EQ(body->size(), *slice_body_bytes(3, 26, 1) + sizeof(StoreNote));

  Result<uint64_t> pages = receive_store(*body, body->size());
  ASSERT_TRUE(pages.ok()) << why_.reason;
  EXPECT_EQ(*pages, 1u);
  EXPECT_EQ(map_.mode, uint32_t{kSliceStore});
  EXPECT_EQ(map_.store_ip, kStoreIp);
  EXPECT_EQ(map_pages(), source_pages_ - 1);
  for (size_t i = 0; i < map_.count; ++i) EXPECT_EQ(map_.runs[i].flags & kRunInStore, 0u);
  EXPECT_EQ(kernel_.pages_of(kDestinationTask), 1u);

  // The refusal of a put comes before anything is written to the destination.
  saver.fail = true;
  EXPECT_EQ(send_store(options).error(), Error::kOutOfMemory);
  EXPECT_STREQ(why_.reason, "the page store refused the pages");
  // A store slice needs its store, and exactly one of saver (flush) and saved (eager-dirty).
  PageMap saved;
  options.saved = &saved;
  EXPECT_EQ(send_store(options).error(), Error::kInvalidArgument);
}

TEST_F(StoreSliceTest, EagerDirtySendsOnlyWhatChangedSinceTheSaveAndListsTheRest) {
  RecordingSaver saver;
  auto saved = std::make_unique<PageMap>();
  std::vector<PageRun> runs(64);
  std::vector<uint64_t> bitmap(64);
  SendScratch scratch{runs.data(), runs.size(), bitmap.data(), 4096};
  SendJob job = queue_and_take();
  Result<uint64_t> stored =
      save_memory_to_store(kernel_, job.space, job.task, scratch, saver, *saved, &why_);
  protocols::mm::SliceStatus status{};
  status.state = SliceState::kDone;
  status.migration_id = job.request.migration_id;
  source_.finish_send(status);
  ASSERT_TRUE(stored.ok()) << why_.reason;
  EXPECT_EQ(*stored, source_pages_ - 1);
  EXPECT_EQ(saved->left(), source_pages_ - 1);
  EXPECT_TRUE(kernel_.dirty.empty());  // the save took the dirty bits

  // The process runs on: it writes two saved pages and touches a new one.
  write(kHeap + 0x20000, 0x5a);
  write(abi::kUserStackTop - kPage, 0xa5);
  touch(kHeap + 0x800000, abi::kVmWrite);
  SendOptions options;
  options.saved = saved.get();
  Result<std::vector<uint8_t>> body = send_store(options);
  ASSERT_TRUE(body.ok()) << why_.reason;
  Result<uint64_t> pages = receive_store(*body, body->size());
  ASSERT_TRUE(pages.ok()) << why_.reason;
  EXPECT_EQ(*pages, 4u);  // the three changed pages and the start page
  EXPECT_EQ(map_pages(), source_pages_ - 4);
  for (uint64_t page : {kHeap + 0x20000, abi::kUserStackTop - kPage, kHeap + 0x800000}) {
    EXPECT_EQ(kernel_.pages.at({kDestinationTask, page}).bytes,
              kernel_.pages.at({kSourceTask, page}).bytes)
        << std::hex << page;
  }
  // The split run: its first page came with bytes, the rest of it is in the store.
  bool split = false;
  for (size_t i = 0; i < map_.count; ++i) split |= map_.runs[i].start == kHeap + 0x21000;
  EXPECT_TRUE(split);
}

TEST_F(StoreSliceTest, TheDestinationKeepsTheStoresAddressForItsFaults) {
  RecordingSaver saver;
  SendOptions options;
  options.saver = &saver;
  Result<std::vector<uint8_t>> body = send_store(options);
  ASSERT_TRUE(body.ok());
  SliceError refusal{};
  map_ = {map_runs_.data(), map_runs_.size(), 0, kSliceWhole, 0};
  Result<ReceiveTarget> target = destination_.prepare_receive(kPid, &refusal);
  BufferSource source(*body);
  ASSERT_TRUE(receive_memory_slice(kernel_, destination_, target->space, target->task, body->size(),
                                   source, &why_, &map_)
                  .ok());
  ASSERT_TRUE(destination_.commit_receive(*target, &why_).ok());
  ASSERT_TRUE(
      destination_.open_lazy(kPid, 77, map_.store_ip, false, map_.runs, map_.count, true).ok());
  const LazySpace& slot = destination_.lazy().slot(0);
  EXPECT_TRUE(slot.store);
  EXPECT_EQ(slot.source_ip, kStoreIp);
  EXPECT_EQ(kernel_.lazy_wakeups, 1);  // the lazy thread connects (or drops at once)
  abi::Message message{};
  message.header.label = abi::kLabelPageFault;
  message.header.badge = kPid;
  message.header.length = sizeof(abi::PageFault);
  abi::PageFault fault{kHeap + 0x20010, 0x400000, abi::kFaultWrite, 0};
  std::memcpy(message.payload, &fault, sizeof(fault));
  EXPECT_TRUE(destination_.handle_fault(message).remote);  // from the store, not zeros
}

TEST_F(StoreSliceTest, MalformedStoreSlicesAreRefused) {
  RecordingSaver saver;
  SendOptions options;
  options.saver = &saver;
  Result<std::vector<uint8_t>> sent = send_store(options);
  ASSERT_TRUE(sent.ok());
  const std::vector<uint8_t> good = *sent;
  const size_t note_at = sizeof(SlicePrologue) + 3 * sizeof(WireRegion);
  auto refused = [&](std::vector<uint8_t> body, uint64_t length) {
    why_ = {};
    Result<uint64_t> pages = receive_store(body, length);
    EXPECT_FALSE(pages.ok());
    EXPECT_EQ(kernel_.pages_of(kDestinationTask), 0u);  // undone
    EXPECT_NE(why_.reason, nullptr);
    return pages.ok() ? Error::kOk : pages.error();
  };
  auto with_note = [&](auto change) {
    std::vector<uint8_t> body = good;
    StoreNote note;
    std::memcpy(&note, body.data() + note_at, sizeof(note));
    change(note);
    std::memcpy(body.data() + note_at, &note, sizeof(note));
    return body;
  };
  EXPECT_EQ(refused(with_note([](StoreNote& n) { n.store_ip = 0; }), good.size()),
            Error::kBadFormat);
  EXPECT_EQ(refused(with_note([](StoreNote& n) { n.reserved = 1; }), good.size()),
            Error::kBadFormat);
  EXPECT_EQ(refused(with_note([](StoreNote& n) { n.stored_pages = ~0ull; }), good.size()),
            Error::kBadFormat);
  // A note that claims one page fewer in the store: the length no longer matches.
  EXPECT_EQ(refused(with_note([](StoreNote& n) { --n.stored_pages; }), good.size()),
            Error::kBadFormat);
  EXPECT_STREQ(why_.reason, "memory slice length does not match its counts");
  // Every truncation.
  for (size_t cut : {size_t{0}, sizeof(SlicePrologue), note_at, note_at + 8, good.size() - 1}) {
    std::vector<uint8_t> body(good.begin(), good.begin() + cut);
    EXPECT_NE(refused(body, good.size()), Error::kOk) << cut;
  }
  // A length off by one either way.
  EXPECT_EQ(refused(good, good.size() + 1), Error::kBadFormat);
  EXPECT_EQ(refused(good, good.size() - 1), Error::kBadFormat);
  // A run in the store stripped of its flag claims bytes that are not there.
  std::vector<uint8_t> unflagged = good;
  size_t run_at = note_at + sizeof(StoreNote);
  PageRun first;
  std::memcpy(&first, unflagged.data() + run_at, sizeof(first));
  if (first.start == abi::kProcessStartAddress) {  // its bytes follow: the next run
    run_at += sizeof(first) + kPage;
    std::memcpy(&first, unflagged.data() + run_at, sizeof(first));
  }
  ASSERT_NE(first.flags & kRunInStore, 0u);
  first.flags &= ~kRunInStore;
  std::memcpy(unflagged.data() + run_at, &first, sizeof(first));
  EXPECT_NE(refused(unflagged, good.size()), Error::kOk);
}

TEST(MemorySliceCodec, StoreRunsOnlyInStoreSlicesAndNeverForTheStartPage) {
  AddressSpace space(9, 1, 100);
  ASSERT_TRUE(space.add_region(zero_region(9, kHeap, 0x10000, abi::kVmWrite), 0).ok());
  SliceError why{};
  RunTally tally;
  SlicePrologue map = prologue(1, 2, 4, 1);
  map.mode = kSliceMap;
  EXPECT_EQ(check_run({kHeap, 2, abi::kVmWrite | kRunInStore}, map, space, tally, &why).error(),
            Error::kBadFormat);
  SlicePrologue store = map;
  store.mode = kSliceStore;
  EXPECT_EQ(check_run({abi::kProcessStartAddress, 1, abi::kVmRead | kRunInStore}, store, space,
                      tally, &why)
                .error(),
            Error::kBadFormat);
  EXPECT_TRUE(check_run({kHeap, 2, abi::kVmWrite | kRunInStore}, store, space, tally, &why).ok());
  EXPECT_EQ(tally.stored, 2u);
  EXPECT_EQ(tally.pages, 2u);
  // The note: the pages with bytes are the prologue's less the stored ones, exactly.
  SlicePrologue p = prologue(1, 2, 4, 1);
  p.mode = kSliceStore;
  uint64_t body = *slice_body_bytes(1, 2, 3) + sizeof(StoreNote);  // 2 in the store, 2 + 1 sent
  EXPECT_TRUE(check_prologue(p, body, 10, &why).ok());
  EXPECT_TRUE(check_store_note({kStoreIp, 0, 2}, p, body, &why).ok());
  EXPECT_EQ(check_store_note({kStoreIp, 0, 1}, p, body, &why).error(), Error::kBadFormat);
  EXPECT_EQ(check_store_note({kStoreIp, 0, 5}, p, body, &why).error(), Error::kBadFormat);
  EXPECT_EQ(check_store_note({0, 0, 2}, p, body, &why).error(), Error::kBadFormat);
  EXPECT_EQ(check_store_note({kStoreIp, 7, 2}, p, body, &why).error(), Error::kBadFormat);
  // A store slice's length lies between every page in the store and none.
  EXPECT_EQ(check_prologue(p, sizeof(StoreNote) - 1, 10, &why).error(), Error::kBadFormat);
  EXPECT_EQ(check_prologue(p, *slice_body_bytes(1, 2, 5) + sizeof(StoreNote) + 1, 10, &why).error(),
            Error::kBadFormat);
}

TEST_F(MemorySliceTest, SpaceSendNamesAStoreForTheStoreModesOnly) {
  using protocols::mm::SendMode;
  Call call;
  call.badge = kSystemBadge;
  EXPECT_EQ(source_.space_send({kPid, 5, 0x0100000a, SendMode::kFlush, 0, 0}, call).error(),
            Error::kInvalidArgument);
  EXPECT_EQ(source_.space_send({kPid, 5, 0x0100000a, kWhole, kStoreIp, 0}, call).error(),
            Error::kInvalidArgument);
  EXPECT_EQ(source_.space_send({kPid, 5, 0x0100000a, SendMode::kFlush, kStoreIp, 1}, call).error(),
            Error::kInvalidArgument);
  EXPECT_EQ(source_.space_send({kPid, 5, 0x0100000a, static_cast<SendMode>(9), kStoreIp, 0}, call)
                .error(),
            Error::kInvalidArgument);
  for (SendMode mode :
       {SendMode::kFlush, SendMode::kStoreSave, SendMode::kEagerDirty, SendMode::kStoreDrop}) {
    ASSERT_TRUE(source_.space_send({kPid, 5, 0x0100000a, mode, kStoreIp, 0}, call).ok());
    SendJob job{};
    ASSERT_TRUE(source_.take_send(job));
    EXPECT_EQ(job.request.store_ip, kStoreIp);
    protocols::mm::SliceStatus status{};
    status.state = SliceState::kDone;
    status.migration_id = 5;
    source_.finish_send(status);
  }
}

TEST_F(MemorySliceTest, ResidualEndFreesTheKeptPagesOnce) {
  Call call;
  call.badge = kSystemBadge;
  EXPECT_EQ(source_.residual_end({77}, call).error(), Error::kNotFound);
  PageMap map;
  ASSERT_TRUE(map.add({kHeap, 4, abi::kVmWrite}).ok());
  ASSERT_TRUE(source_.residuals().open(77, kPid, 99, map, 0).ok());
  EXPECT_EQ(source_.residual_status({77}, call)->state, protocols::mm::ResidualState::kServing);
  EXPECT_EQ(source_.residual_status({77}, call)->pages_held, 4u);
  EXPECT_TRUE(source_.residual_end({77}, call).ok());
  EXPECT_EQ(source_.residual_status({77}, call)->state, protocols::mm::ResidualState::kDone);
  EXPECT_EQ(source_.residual_status({77}, call)->pages_held, 0u);
  EXPECT_TRUE(source_.residual_end({77}, call).ok());  // already done: nothing more to free
  Call stranger;
  stranger.badge = 12;
  EXPECT_EQ(source_.residual_status({77}, stranger).error(), Error::kAccessDenied);
}

}  // namespace
}  // namespace atoll_os::servers::mm
