// Tests of mm's lazy-migration logic: the page map, the page-fetch protocol's checks against
// malformed input, and the bounded residual tables of both ends.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "atoll/abi/process.h"
#include "mm/page_fetch.h"
#include "mm/page_map.h"
#include "mm/residual.h"

namespace atoll_os::servers::mm {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kHeap = abi::kUserHeapBase;

TEST(PageMap, FindsMarksAndCountsPagesInRunsOfAnyOrder) {
  auto map = std::make_unique<PageMap>();
  ASSERT_TRUE(map->add({kHeap + 0x100000, 64, abi::kVmWrite}).ok());
  ASSERT_TRUE(map->add({kHeap, 3, abi::kVmWrite}).ok());
  ASSERT_TRUE(map->add({0x400000, 2, abi::kVmExecute}).ok());
  EXPECT_EQ(map->left(), 69u);
  uint32_t flags = 0;
  EXPECT_TRUE(map->missing(kHeap + 0x100000 + 63 * kPage + 5, &flags));
  EXPECT_EQ(flags, uint32_t{abi::kVmWrite});
  EXPECT_TRUE(map->missing(0x401fff, &flags));
  EXPECT_EQ(flags, uint32_t{abi::kVmExecute});
  EXPECT_FALSE(map->missing(0x402000));
  EXPECT_FALSE(map->missing(kHeap + 3 * kPage));
  EXPECT_FALSE(map->missing(0));
  EXPECT_EQ(map->missing_from(kHeap + kPage, 16), 2u);
  EXPECT_EQ(map->missing_from(kHeap + 0x100000, 16), 16u);
  EXPECT_EQ(map->missing_from(kHeap + 0x100000 + 1, 16), 0u);  // not page-aligned
  EXPECT_EQ(map->arrive(kHeap + kPage, 1), 1u);
  EXPECT_EQ(map->arrive(kHeap + kPage, 1), 0u);  // counted once
  EXPECT_FALSE(map->missing(kHeap + kPage));
  EXPECT_EQ(map->missing_from(kHeap, 16), 1u);                    // stops at the arrived page
  EXPECT_EQ(map->arrive(kHeap + 0x100000 + 60 * kPage, 16), 4u);  // clipped to the run
  EXPECT_EQ(map->left(), 64u);
}

TEST(PageMap, RefusesOverlapsBadRunsAndMoreThanItHolds) {
  auto map = std::make_unique<PageMap>();
  ASSERT_TRUE(map->add({kHeap + 4 * kPage, 4, 0}).ok());
  EXPECT_EQ(map->add({kHeap + 7 * kPage, 2, 0}).error(), Error::kAlreadyExists);
  EXPECT_EQ(map->add({kHeap + kPage, 4, 0}).error(), Error::kAlreadyExists);
  EXPECT_TRUE(map->add({kHeap, 4, 0}).ok());  // touching is fine
  EXPECT_EQ(map->add({kHeap + 1, 1, 0}).error(), Error::kInvalidArgument);
  EXPECT_EQ(map->add({kHeap + 0x10000, 0, 0}).error(), Error::kInvalidArgument);
  EXPECT_EQ(map->add({kHeap + 0x10000, 65, 0}).error(), Error::kInvalidArgument);
  EXPECT_EQ(map->add({~uint64_t{0} & ~(kPage - 1), 2, 0}).error(), Error::kInvalidArgument);
  auto full = std::make_unique<PageMap>();
  for (uint64_t i = 0; i < kMapRuns; ++i)
    ASSERT_TRUE(full->add({kHeap + i * 2 * kPage, 1, 0}).ok());
  EXPECT_EQ(full->add({kHeap + 2 * kMapRuns * 2 * kPage, 1, 0}).error(), Error::kOutOfRange);
  EXPECT_EQ(full->left(), kMapRuns);
}

TEST(PageMap, NextMissingGoesOnFromTheCursorAndWrapsRound) {
  auto map = std::make_unique<PageMap>();
  ASSERT_TRUE(map->add({kHeap, 8, 0}).ok());
  ASSERT_TRUE(map->add({kHeap + 0x100000, 8, 0}).ok());
  uint64_t page = 0;
  uint32_t pages = 0;
  ASSERT_TRUE(map->next_missing(0, 16, page, pages));
  EXPECT_EQ(page, kHeap);
  EXPECT_EQ(pages, 8u);
  ASSERT_TRUE(map->next_missing(kHeap + 3 * kPage, 4, page, pages));
  EXPECT_EQ(page, kHeap + 3 * kPage);
  EXPECT_EQ(pages, 4u);
  map->arrive(kHeap + 0x100000, 8);
  ASSERT_TRUE(map->next_missing(kHeap + 0x100000, 16, page, pages));  // wraps to the first run
  EXPECT_EQ(page, kHeap);
  map->arrive(kHeap, 8);
  EXPECT_FALSE(map->next_missing(0, 16, page, pages));
  EXPECT_EQ(map->left(), 0u);
}

// ---- The page-fetch protocol -------------------------------------------------------------

Error request_error(const FetchRequest& request) {
  SliceError why{};
  Result<void> checked = check_request(request, &why);
  if (!checked.ok()) {
    EXPECT_NE(why.reason, nullptr);
  }
  return checked.ok() ? Error::kOk : checked.error();
}

TEST(PageFetch, RequestsAreCheckedField_by_field) {
  EXPECT_EQ(request_error(fetch_request(FetchKind::kHello, 7, 4)), Error::kOk);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kFetch, 7, 4, kHeap, 1)), Error::kOk);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kPull, 7, 4, 0, kFetchMaxPages)), Error::kOk);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kDone, 7, 4, 0, 99, 12345)), Error::kOk);
  FetchRequest r = fetch_request(FetchKind::kFetch, 7, 4, kHeap, 1);
  r.magic ^= 1;
  EXPECT_EQ(request_error(r), Error::kBadFormat);
  r = fetch_request(FetchKind::kFetch, 7, 4, kHeap, 1);
  r.version = 2;
  EXPECT_EQ(request_error(r), Error::kBadFormat);
  r.version = kFetchVersion;
  r.kind = static_cast<FetchKind>(9);
  EXPECT_EQ(request_error(r), Error::kBadFormat);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kFetch, 7, 4, kHeap + 1, 1)),
            Error::kOutOfRange);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kFetch, 7, 4, abi::kProcessStartAddress, 1)),
            Error::kOutOfRange);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kFetch, 7, 4, kHeap, 0)), Error::kBadFormat);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kPull, 7, 4, kHeap, kFetchMaxPages + 1)),
            Error::kBadFormat);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kFetch, 7, 4, ~uint64_t{0} << 12, 1)),
            Error::kOutOfRange);
  // The stack lies above the ProcessStart page: its pages are fetched like any other.
  EXPECT_EQ(request_error(fetch_request(FetchKind::kFetch, 7, 4, abi::kUserStackTop - kPage, 1)),
            Error::kOk);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kFetch, 7, 4, abi::kUserSpaceEnd - kPage, 2)),
            Error::kOutOfRange);
  EXPECT_EQ(request_error(fetch_request(FetchKind::kFetch, 7, 4, abi::kUserSpaceEnd, 1)),
            Error::kOutOfRange);
  EXPECT_EQ(
      request_error(fetch_request(FetchKind::kFetch, 7, 4, abi::kProcessStartAddress - kPage, 2)),
      Error::kOutOfRange);
}

Error reply_error(const FetchReply& reply, const FetchRequest& request) {
  SliceError why{};
  Result<void> checked = check_reply(reply, request, &why);
  if (!checked.ok()) {
    EXPECT_NE(why.reason, nullptr);
  }
  return checked.ok() ? Error::kOk : checked.error();
}

TEST(PageFetch, RepliesAreCheckedAgainstTheirRequest) {
  FetchRequest fetch = fetch_request(FetchKind::kFetch, 7, 4, kHeap + kPage, 4);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kFetch, Error::kOk, kHeap + kPage, 4), fetch),
            Error::kOk);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kFetch, Error::kOk, kHeap + kPage, 1), fetch),
            Error::kOk);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kFetch, Error::kOk, kHeap, 4), fetch),
            Error::kBadFormat);  // not the page asked for
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kFetch, Error::kOk, kHeap + kPage, 5), fetch),
            Error::kBadFormat);  // more than asked
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kFetch, Error::kOk, kHeap + kPage, 0), fetch),
            Error::kBadFormat);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kPull, Error::kOk, kHeap + kPage, 1), fetch),
            Error::kBadFormat);  // a reply to another request
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kFetch, Error::kNotFound), fetch), Error::kNotFound);
  FetchReply lying = fetch_reply(FetchKind::kFetch, Error::kNotFound);
  lying.pages = 1;
  EXPECT_EQ(reply_error(lying, fetch), Error::kBadFormat);
  FetchReply bad = fetch_reply(FetchKind::kFetch, Error::kOk, kHeap + kPage, 1);
  bad.magic = 0;
  EXPECT_EQ(reply_error(bad, fetch), Error::kBadFormat);
  bad = fetch_reply(FetchKind::kFetch, Error::kOk, kHeap + kPage, 1);
  bad.version = 0;
  EXPECT_EQ(reply_error(bad, fetch), Error::kBadFormat);

  FetchRequest pull = fetch_request(FetchKind::kPull, 7, 4, 0, 16);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kPull, Error::kOk, 0x400000, 16), pull), Error::kOk);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kPull, Error::kOk, 0x400001, 1), pull),
            Error::kBadFormat);
  EXPECT_EQ(
      reply_error(fetch_reply(FetchKind::kPull, Error::kOk, abi::kProcessStartAddress, 1), pull),
      Error::kBadFormat);
  FetchRequest hello = fetch_request(FetchKind::kHello, 7, 4);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kHello, Error::kOk), hello), Error::kOk);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kHello, Error::kOk, 0, 1), hello),
            Error::kBadFormat);
  EXPECT_EQ(reply_error(fetch_reply(FetchKind::kHello, Error::kNotFound), hello), Error::kNotFound);
}

TEST(PageFetch, ByteFlipsOfAGoodReplyNeverPassAsAnotherPage) {
  // Every single-byte corruption of a reply is refused or still names the page asked for.
  FetchRequest fetch = fetch_request(FetchKind::kFetch, 7, 4, kHeap + kPage, 4);
  FetchReply good = fetch_reply(FetchKind::kFetch, Error::kOk, kHeap + kPage, 4);
  for (size_t byte = 0; byte < sizeof(good); ++byte) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      FetchReply bent = good;
      reinterpret_cast<uint8_t*>(&bent)[byte] ^= flip;
      SliceError why{};
      if (check_reply(bent, fetch, &why).ok()) {
        EXPECT_EQ(bent.start, fetch.address);
        EXPECT_GE(bent.pages, 1u);
        EXPECT_LE(bent.pages, fetch.count);
      }
    }
  }
}

// ---- The tables --------------------------------------------------------------------------

TEST(ResidualTable, ServesAtMostItsBoundAndReusesFinishedSlotsOldestFirst) {
  auto table = std::make_unique<ResidualTable>();
  auto map = std::make_unique<PageMap>();
  ASSERT_TRUE(map->add({kHeap, 2, 0}).ok());
  for (uint64_t id = 1; id <= kMaxResiduals; ++id) {
    ASSERT_TRUE(table->open(id, 4, abi::Handle(100 + id), *map, id).ok());
  }
  EXPECT_EQ(table->open(99, 4, 200, *map, 0).error(), Error::kBusy);
  EXPECT_EQ(table->serving(), kMaxResiduals);
  EXPECT_EQ(table->finish(*table->find(2), 50), abi::Handle(102));
  EXPECT_EQ(table->finish(*table->find(2), 60), abi::kNoHandle);  // once
  EXPECT_EQ(table->finish(*table->find(3), 40), abi::Handle(103));
  protocols::mm::ResidualStatus status = table->status(2, 1000);
  // Every page gone, but the destination's fault counts may still come: not done yet.
  EXPECT_EQ(status.state, protocols::mm::ResidualState::kServing);
  EXPECT_EQ(status.pages_held, 0u);
  table->find(2)->final = true;  // its link closed
  status = table->status(2, 1000);
  EXPECT_EQ(status.state, protocols::mm::ResidualState::kDone);
  EXPECT_EQ(status.held_ns, 48u);
  EXPECT_EQ(table->status(1, 1000).held_ns, 999u);  // still serving: until now
  EXPECT_EQ(table->status(1, 1000).pages_held, 2u);
  ASSERT_TRUE(table->open(5, 4, 105, *map, 70).ok());  // takes 3's slot (ended first)
  EXPECT_EQ(table->find(3), nullptr);
  EXPECT_NE(table->find(2), nullptr);
  EXPECT_EQ(table->status(42, 0).state, protocols::mm::ResidualState::kNone);
}

TEST(LazyTable, OneSlotPerPidBoundedAndFreedOnClose) {
  auto table = std::make_unique<LazyTable>();
  PageRun runs[2] = {{kHeap, 4, abi::kVmWrite}, {kHeap + 0x10000, 1, abi::kVmWrite}};
  for (uint64_t pid = 1; pid <= kMaxLazySpaces; ++pid) {
    Result<size_t> slot = table->open(pid, pid * 10, 0x0100000a, false, abi::Handle(pid), runs, 2);
    ASSERT_TRUE(slot.ok());
    EXPECT_EQ(table->slot(*slot).map.left(), 5u);
  }
  EXPECT_EQ(table->open(1, 11, 0, false, 9, runs, 2).error(), Error::kAlreadyExists);
  EXPECT_EQ(table->open(77, 11, 0, false, 9, runs, 2).error(), Error::kBusy);
  size_t slot = table->find(3);
  ASSERT_NE(slot, kMaxLazySpaces);
  table->slot(slot).ending = true;
  EXPECT_EQ(table->find(3), kMaxLazySpaces);  // an ending slot takes no faults
  EXPECT_EQ(table->close(slot), abi::Handle(3));
  PageRun overlapping[2] = {{kHeap, 4, 0}, {kHeap + kPage, 1, 0}};
  EXPECT_EQ(table->open(77, 11, 0, false, 9, overlapping, 2).error(), Error::kAlreadyExists);
  EXPECT_TRUE(table->open(77, 11, 0, true, 9, runs, 2).ok());
}

}  // namespace
}  // namespace atoll_os::servers::mm
