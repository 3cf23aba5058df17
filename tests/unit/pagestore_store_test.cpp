// The page store's bookkeeping over fake disks: the memory bound, clean refusal, overwrite,
// drop, spill to disk and back, disk errors, the PID limit, and the request path that the
// server runs (malformed bodies answered, the store unchanged).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "pagestore/page_store.h"
#include "pagestore/request_handler.h"

namespace atoll_os::servers::pagestore {
namespace {

using Bytes = std::vector<uint8_t>;

/// A disk in host memory that counts its writes and can be told to fail.
class FakeDisk final : public PageDisk {
 public:
  explicit FakeDisk(uint32_t blocks) : data_(size_t{blocks} * kPageBytes) {}
  uint32_t blocks() const override { return uint32_t(data_.size() / kPageBytes); }
  Result<void> write_page(uint32_t block, const uint8_t* page) override {
    if (fail_writes || block >= blocks()) return Err(Error::kBusy);
    std::memcpy(data_.data() + size_t{block} * kPageBytes, page, kPageBytes);
    ++writes;
    return success();
  }
  Result<void> read_page(uint32_t block, uint8_t* page) override {
    if (block >= blocks()) return Err(Error::kOutOfRange);
    std::memcpy(page, data_.data() + size_t{block} * kPageBytes, kPageBytes);
    ++reads;
    return success();
  }
  bool fail_writes = false;
  uint64_t writes = 0;
  uint64_t reads = 0;

 private:
  Bytes data_;
};

/// A store with its memory, made the way the server makes it.
struct StoreUnderTest {
  StoreUnderTest(uint32_t memory_pages, FakeDisk* disk)
      : pages(size_t{memory_pages} * kPageBytes),
        memory_free(memory_pages),
        disk_free(disk == nullptr ? 0 : disk->blocks()),
        index(index_slots_for(memory_pages, disk == nullptr ? 0 : disk->blocks())) {
    EXPECT_TRUE(store.init({pages, memory_free, disk_free, index}, disk).ok());
  }
  Bytes pages;
  std::vector<uint32_t> memory_free;
  std::vector<uint32_t> disk_free;
  std::vector<StoreSlot> index;
  PageStore store;
};

/// The pages of a put: page i of pid at vaddr, filled with a byte derived from both.
struct Batch {
  Batch(uint64_t pid, uint64_t first_vaddr, uint32_t count, uint8_t salt = 0) : pid(pid) {
    for (uint32_t i = 0; i < count; ++i) {
      uint64_t vaddr = first_vaddr + uint64_t{i} * kPageBytes;
      Bytes page(kPageBytes, fill_of(pid, vaddr, salt));
      page[0] = uint8_t(i);
      entries.push_back(vaddr);
      data.push_back(page);
    }
    bytes.resize(put_body_bytes(count));
    std::vector<PageRef> refs;
    for (uint32_t i = 0; i < count; ++i) refs.push_back({entries[i], data[i].data()});
    Bytes request(kRequestHeaderBytes + bytes.size());
    EXPECT_TRUE(encode_put(request, 1, pid, refs).ok());
    std::memcpy(bytes.data(), request.data() + kRequestHeaderBytes, bytes.size());
    const char* reason = "";
    put = decode_put(bytes, &reason).value();
  }
  static uint8_t fill_of(uint64_t pid, uint64_t vaddr, uint8_t salt) {
    return uint8_t(pid * 31 + (vaddr >> 12) * 7 + salt);
  }
  uint64_t pid;
  std::vector<uint64_t> entries;
  std::vector<Bytes> data;
  Bytes bytes;
  PutRequest put;
};

// The page (pid, vaddr) as the store holds it, or an empty vector.
Bytes held(PageStore& store, uint64_t pid, uint64_t vaddr) {
  Bytes out(kPageBytes);
  const char* reason = "";
  uint64_t present = store.get({pid, vaddr, 1}, out.data(), &reason).value();
  return present ? out : Bytes();
}

TEST(PageStore, KeepsPagesUpToTheBoundAndRefusesAWholePutBeyondIt) {
  StoreUnderTest t(100, nullptr);
  const char* reason = "";
  Batch first(7, 0x10000, 64);
  PutReply reply = t.store.put(first.put, &reason).value();
  EXPECT_EQ(reply.stored, 64u);
  EXPECT_EQ(reply.added, 64u);
  Batch second(7, 0x10000 + 64 * kPageBytes, 40);  // 104 in all: over the bound
  Result<PutReply> refused = t.store.put(second.put, &reason);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), Error::kOutOfMemory);
  EXPECT_STREQ(reason, "store full");
  StoreStats stats = t.store.stats();
  EXPECT_EQ(stats.memory_pages, 64u) << "a refused put stores nothing";
  EXPECT_EQ(stats.refused, 1u);
  EXPECT_TRUE(held(t.store, 7, second.entries[0]).empty());
  Batch fits(7, 0x10000 + 64 * kPageBytes, 36);
  EXPECT_TRUE(t.store.put(fits.put, &reason).ok());
  EXPECT_EQ(t.store.stats().memory_pages, 100u);
  EXPECT_EQ(t.store.stats().bytes, 100u * kPageBytes);
  EXPECT_EQ(held(t.store, 7, fits.entries[35]), fits.data[35]);
}

TEST(PageStore, OverwritingAHeldPageCostsNoRoom) {
  StoreUnderTest t(4, nullptr);
  const char* reason = "";
  Batch full(9, 0x4000, 4);
  ASSERT_TRUE(t.store.put(full.put, &reason).ok());
  Batch again(9, 0x4000, 4, /*salt=*/5);  // the same pages, new contents (eager-dirty)
  PutReply reply = t.store.put(again.put, &reason).value();
  EXPECT_EQ(reply.added, 0u);
  EXPECT_EQ(held(t.store, 9, 0x5000), again.data[1]);
  EXPECT_EQ(t.store.stats().memory_pages, 4u);
}

TEST(PageStore, GetsARunWithHolesAndTheBitmapSaysWhich) {
  StoreUnderTest t(16, nullptr);
  const char* reason = "";
  Batch a(3, 0x1000, 1), b(3, 0x3000, 2);
  ASSERT_TRUE(t.store.put(a.put, &reason).ok());
  ASSERT_TRUE(t.store.put(b.put, &reason).ok());
  Bytes out(4 * kPageBytes);
  uint64_t present = t.store.get({3, 0x1000, 4}, out.data(), &reason).value();
  EXPECT_EQ(present, 0b1101u);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + kPageBytes), a.data[0]);  // packed in run order
  EXPECT_EQ(Bytes(out.begin() + kPageBytes, out.begin() + 2 * kPageBytes), b.data[0]);
  EXPECT_EQ(t.store.get({4, 0x1000, 4}, out.data(), &reason).value(), 0u) << "another PID";
}

TEST(PageStore, DropForgetsOneProcessAndFreesItsRoom) {
  StoreUnderTest t(64, nullptr);
  const char* reason = "";
  Batch mine(1, 0x100000, 40), theirs(2, 0x100000, 24);
  ASSERT_TRUE(t.store.put(mine.put, &reason).ok());
  ASSERT_TRUE(t.store.put(theirs.put, &reason).ok());
  EXPECT_EQ(t.store.stats().pids, 2u);
  EXPECT_EQ(t.store.drop(1), 40u);
  EXPECT_EQ(t.store.drop(1), 0u);
  EXPECT_EQ(t.store.stats().memory_pages, 24u);
  EXPECT_EQ(t.store.stats().pids, 1u);
  for (uint32_t i = 0; i < 24; ++i) {
    EXPECT_EQ(held(t.store, 2, theirs.entries[i]), theirs.data[i]) << i;
  }
  EXPECT_TRUE(held(t.store, 1, mine.entries[0]).empty());
  Batch next(3, 0x200000, 40);
  EXPECT_TRUE(t.store.put(next.put, &reason).ok()) << "the dropped room is reused";
}

TEST(PageStore, SpillsBeyondTheMemoryBoundToTheDiskAndReadsBack) {
  FakeDisk disk(64);
  StoreUnderTest t(16, &disk);
  const char* reason = "";
  Batch batch(5, 0x40000, 48);  // 16 in memory, 32 on disk
  ASSERT_TRUE(t.store.put(batch.put, &reason).ok());
  StoreStats stats = t.store.stats();
  EXPECT_EQ(stats.memory_pages, 16u);
  EXPECT_EQ(stats.disk_pages, 32u);
  EXPECT_EQ(stats.spilled, 32u);
  EXPECT_EQ(stats.disk_capacity, 64u);
  EXPECT_EQ(disk.writes, 32u);
  for (uint32_t i = 0; i < 48; ++i) EXPECT_EQ(held(t.store, 5, batch.entries[i]), batch.data[i]);
  EXPECT_EQ(disk.reads, 32u);
  Batch rewrite(5, 0x40000 + 40 * kPageBytes, 8, 9);  // pages on disk, overwritten there
  ASSERT_TRUE(t.store.put(rewrite.put, &reason).ok());
  EXPECT_EQ(held(t.store, 5, rewrite.entries[7]), rewrite.data[7]);
  Batch too_many(6, 0x40000, 33);  // 32 blocks left
  EXPECT_EQ(t.store.put(too_many.put, &reason).error(), Error::kOutOfMemory);
  EXPECT_EQ(t.store.drop(5), 48u);
  EXPECT_EQ(t.store.stats().disk_pages, 0u);
  EXPECT_TRUE(t.store.put(too_many.put, &reason).ok());
}

TEST(PageStore, ADiskWriteErrorIsReportedAndLeavesNothingCountedForTheFailedPage) {
  FakeDisk disk(8);
  StoreUnderTest t(2, &disk);
  const char* reason = "";
  disk.fail_writes = true;
  Batch batch(5, 0x1000, 4);
  Result<PutReply> put = t.store.put(batch.put, &reason);
  ASSERT_FALSE(put.ok());
  EXPECT_STREQ(reason, "disk write failed");
  StoreStats stats = t.store.stats();
  EXPECT_EQ(stats.memory_pages, 2u) << "the pages before the failure stay";
  EXPECT_EQ(stats.disk_pages, 0u);
  EXPECT_TRUE(held(t.store, 5, 0x3000).empty());
  EXPECT_EQ(t.store.drop(5), 2u);
}

TEST(PageStore, RefusesANewProcessBeyondThePidLimit) {
  StoreUnderTest t(kMaxPids + 8, nullptr);
  const char* reason = "";
  for (uint64_t pid = 1; pid <= kMaxPids; ++pid) {
    Batch one(pid, 0x1000, 1);
    ASSERT_TRUE(t.store.put(one.put, &reason).ok()) << pid;
  }
  Batch extra(kMaxPids + 1, 0x1000, 1);
  EXPECT_EQ(t.store.put(extra.put, &reason).error(), Error::kOutOfMemory);
  EXPECT_STREQ(reason, "too many processes");
  Batch known(1, 0x2000, 1);
  EXPECT_TRUE(t.store.put(known.put, &reason).ok()) << "a known PID may add pages";
}

// Random puts and drops against a model: the index (with its backward-shift deletion) and
// the free lists never lose or mix up a page.
TEST(PageStore, RandomPutsAndDropsMatchAModel) {
  FakeDisk disk(256);
  StoreUnderTest t(128, &disk);
  std::map<std::pair<uint64_t, uint64_t>, uint8_t> model;
  std::mt19937 random(42);
  const char* reason = "";
  for (int step = 0; step < 600; ++step) {
    uint64_t pid = 1 + random() % 6;
    if (random() % 10 == 0) {
      uint64_t expected = 0;
      for (auto it = model.begin(); it != model.end();) {
        if (it->first.first == pid) {
          it = model.erase(it);
          ++expected;
        } else {
          ++it;
        }
      }
      ASSERT_EQ(t.store.drop(pid), expected);
      continue;
    }
    uint8_t salt = uint8_t(random());
    Batch batch(pid, (random() % 128) * kPageBytes, 1 + random() % 8, salt);
    size_t added = 0;
    for (uint64_t v : batch.entries) added += model.count({pid, v}) == 0;
    bool fits = model.size() + added <= 384;
    ASSERT_EQ(t.store.put(batch.put, &reason).ok(), fits) << step;
    if (!fits) continue;
    for (size_t i = 0; i < batch.entries.size(); ++i) {
      model[{pid, batch.entries[i]}] = batch.data[i][1];
    }
  }
  EXPECT_EQ(t.store.stats().memory_pages + t.store.stats().disk_pages, model.size());
  for (const auto& [key, fill] : model) {
    Bytes page = held(t.store, key.first, key.second);
    ASSERT_FALSE(page.empty());
    EXPECT_EQ(page[1], fill);
  }
}

// The server's request path: a reply that decodes, refusals with reasons, and the store
// unchanged by malformed requests.
TEST(PageStoreRequests, AnswersPutGetDropAndStatsAndRefusesBadBodies) {
  StoreUnderTest t(8, nullptr);
  Bytes reply(kReplyBufferBytes);
  const char* reason = "";
  Batch batch(11, 0x2000, 3);
  RequestHeader put_header{Op::kPut, uint32_t(batch.bytes.size()), 5};
  size_t n = answer_request(t.store, put_header, batch.bytes, reply);
  ReplyHeader header =
      decode_reply_header({reply.data(), kReplyHeaderBytes}, Op::kPut, &reason).value();
  EXPECT_EQ(header.error, Error::kOk);
  EXPECT_EQ(header.sequence, 5u);
  EXPECT_EQ(n, kReplyHeaderBytes + kPutReplyBytes);

  Bytes get(kRequestHeaderBytes + kGetBodyBytes);
  (void)encode_get(get, 6, {11, 0x2000, 4});
  n = answer_request(t.store, {Op::kGet, kGetBodyBytes, 6},
                     {get.data() + kRequestHeaderBytes, kGetBodyBytes}, reply);
  header = decode_reply_header({reply.data(), kReplyHeaderBytes}, Op::kGet, &reason).value();
  GetReply pages =
      decode_get_reply({reply.data() + kReplyHeaderBytes, header.body_bytes}, 4, &reason).value();
  EXPECT_EQ(pages.present, 0b0111u);
  EXPECT_EQ(Bytes(pages.page(2), pages.page(2) + kPageBytes), batch.data[2]);

  Bytes bad = batch.bytes;
  bad[0] = 0;  // PID 0
  bad[1] = 0;
  for (size_t i = 0; i < 8; ++i) bad[i] = 0;
  n = answer_request(t.store, put_header, bad, reply);
  header = decode_reply_header({reply.data(), kReplyHeaderBytes}, Op::kPut, &reason).value();
  EXPECT_EQ(header.error, Error::kBadFormat);
  EXPECT_STREQ(header.reason, "PID 0");
  n = answer_request(t.store, put_header, {batch.bytes.data(), 10}, reply);
  header = decode_reply_header({reply.data(), kReplyHeaderBytes}, Op::kPut, &reason).value();
  EXPECT_EQ(header.error, Error::kBadFormat);

  Bytes garbage(kRequestHeaderBytes, 0xee);
  n = answer_bad_header(garbage, Error::kBadFormat, "bad magic", reply);
  EXPECT_EQ(n, kReplyHeaderBytes);

  Bytes drop(kRequestHeaderBytes + kDropBodyBytes);
  (void)encode_drop(drop, 8, 11);
  n = answer_request(t.store, {Op::kDrop, kDropBodyBytes, 8},
                     {drop.data() + kRequestHeaderBytes, kDropBodyBytes}, reply);
  EXPECT_EQ(decode_drop_reply({reply.data() + kReplyHeaderBytes, kDropReplyBytes}, &reason).value(),
            3u);
  n = answer_request(t.store, {Op::kStats, 0, 9}, {}, reply);
  StoreStats stats =
      decode_stats_reply({reply.data() + kReplyHeaderBytes, kStatsReplyBytes}, &reason).value();
  EXPECT_EQ(stats.memory_pages, 0u);
  EXPECT_EQ(stats.memory_capacity, 8u);
}

}  // namespace
}  // namespace atoll_os::servers::pagestore
