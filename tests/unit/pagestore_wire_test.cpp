// The page store's wire format: round trips, and a corpus of malformed input that every
// decoder refuses with a reason without reading past its buffer.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lib/pagestore_wire.h"
#include "pagestore_wire_fuzz_entry.h"

namespace atoll_os::servers::pagestore {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes page_of(uint8_t fill) {
  return Bytes(kPageBytes, fill);
}

// A put of `count` pages of `pid` at 0x1000, 0x2000, ..., page i filled with i + 1.
Bytes put_request(uint64_t pid, uint32_t count) {
  std::vector<Bytes> pages;
  std::vector<PageRef> refs;
  for (uint32_t i = 0; i < count; ++i) pages.push_back(page_of(uint8_t(i + 1)));
  for (uint32_t i = 0; i < count; ++i) refs.push_back({0x1000 * (i + 1ull), pages[i].data()});
  Bytes out(kRequestHeaderBytes + put_body_bytes(count));
  EXPECT_EQ(encode_put(out, 7, pid, refs).value(), out.size());
  return out;
}

std::span<const uint8_t> header_of(const Bytes& request) {
  return std::span<const uint8_t>(request).first(kRequestHeaderBytes);
}
std::span<const uint8_t> body_of(const Bytes& request) {
  return std::span<const uint8_t>(request).subspan(kRequestHeaderBytes);
}

TEST(PagestoreWire, PutRoundTrips) {
  Bytes request = put_request(0x0001'0000'0000'0005, 3);
  const char* reason = "";
  RequestHeader header = decode_request_header(header_of(request), &reason).value();
  EXPECT_EQ(header.op, Op::kPut);
  EXPECT_EQ(header.sequence, 7u);
  EXPECT_EQ(header.body_bytes, put_body_bytes(3));
  PutRequest put = decode_put(body_of(request), &reason).value();
  EXPECT_EQ(put.pid, 0x0001'0000'0000'0005u);
  ASSERT_EQ(put.count, 3u);
  EXPECT_EQ(put.page(2).vaddr, 0x3000u);
  EXPECT_EQ(put.page(2).data[0], 3);
  EXPECT_EQ(put.page(2).data[kPageBytes - 1], 3);
}

TEST(PagestoreWire, GetDropStatsRoundTrip) {
  Bytes out(64);
  const char* reason = "";
  size_t n = encode_get(out, 9, {42, 0x7000, 5}).value();
  RequestHeader header = decode_request_header({out.data(), kRequestHeaderBytes}, &reason).value();
  EXPECT_EQ(header.op, Op::kGet);
  GetRequest get =
      decode_get({out.data() + kRequestHeaderBytes, n - kRequestHeaderBytes}, &reason).value();
  EXPECT_EQ(get.pid, 42u);
  EXPECT_EQ(get.vaddr, 0x7000u);
  EXPECT_EQ(get.count, 5u);
  n = encode_drop(out, 10, 42).value();
  EXPECT_EQ(
      decode_drop({out.data() + kRequestHeaderBytes, n - kRequestHeaderBytes}, &reason).value(),
      42u);
  n = encode_stats(out, 11).value();
  EXPECT_EQ(decode_request_header({out.data(), n}, &reason).value().op, Op::kStats);
}

TEST(PagestoreWire, RepliesRoundTrip) {
  Bytes out(kReplyHeaderBytes + kMaxReplyBody);
  const char* reason = "";
  ASSERT_TRUE(encode_reply_header(out, Op::kGet, Error::kOutOfMemory, 0, 3,
                                  "a reason longer than the forty bytes a reply can carry")
                  .ok());
  ReplyHeader header =
      decode_reply_header({out.data(), kReplyHeaderBytes}, Op::kGet, &reason).value();
  EXPECT_EQ(header.error, Error::kOutOfMemory);
  EXPECT_EQ(header.sequence, 3u);
  EXPECT_EQ(std::string(header.reason), std::string("a reason longer than the forty bytes a "));

  size_t n = encode_get_reply_prefix(out, 4, 0b1010).value();
  std::memset(out.data() + n, 0xaa, kPageBytes);
  std::memset(out.data() + n + kPageBytes, 0xbb, kPageBytes);
  GetReply get = decode_get_reply({out.data(), n + 2 * kPageBytes}, 4, &reason).value();
  EXPECT_EQ(get.page(0), nullptr);
  EXPECT_EQ(get.page(1)[0], 0xaa);
  EXPECT_EQ(get.page(3)[0], 0xbb);
  EXPECT_EQ(get.page(4), nullptr);

  StoreStats stats{3, 2, 5 * kPageBytes, 8, 16, 2, 1, 1};
  n = encode_stats_reply(out, stats).value();
  StoreStats back = decode_stats_reply({out.data(), n}, &reason).value();
  EXPECT_EQ(back.disk_pages, 2u);
  EXPECT_EQ(back.refused, 1u);
}

TEST(PagestoreWire, TheStoresAddressFollowsTheAddressPlan) {
  auto ip = [](uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    return __builtin_bswap32(a << 24 | b << 16 | c << 8 | d);  // network byte order
  };
  EXPECT_EQ(node_ip(ip(10, 77, 0, 3), 2, 0).value(), ip(10, 77, 0, 1));
  EXPECT_EQ(node_ip(ip(10, 77, 0, 1), 0, 5).value(), ip(10, 77, 0, 6));
  EXPECT_EQ(node_ip(ip(10, 77, 0, 2), 1, 1).value(), ip(10, 77, 0, 2));
  EXPECT_EQ(node_ip(ip(10, 77, 0, 1), 3, 0).error(), Error::kOutOfRange) << "not node 3's address";
  EXPECT_EQ(node_ip(ip(10, 77, 0, 1), 0, 254).error(), Error::kOutOfRange) << "past .254";
}

// Each case: the bytes, what decoding them must say.
struct Malformed {
  const char* name;
  Bytes bytes;
  Error error;
};

TEST(PagestoreWire, MalformedHeadersAreRefusedWithAReason) {
  Bytes good(kRequestHeaderBytes);
  ASSERT_TRUE(encode_request_header(good, Op::kDrop, kDropBodyBytes, 1).ok());
  auto with = [&](size_t at, uint8_t value) {
    Bytes b = good;
    b[at] = value;
    return b;
  };
  Bytes put_header(kRequestHeaderBytes);
  std::vector<Malformed> cases = {
      {"empty", {}, Error::kTruncated},
      {"short", Bytes(good.begin(), good.end() - 1), Error::kTruncated},
      {"long",
       [&] {
         Bytes b = good;
         b.push_back(0);
         return b;
       }(),
       Error::kBadFormat},
      {"magic", with(0, 0), Error::kBadFormat},
      {"version", with(4, 2), Error::kBadFormat},
      {"op 0", with(6, 0), Error::kBadFormat},
      {"op 5", with(6, 5), Error::kBadFormat},
      {"drop body 9", with(8, 9), Error::kBadFormat},
  };
  for (uint32_t bytes : {0u, 1u, uint32_t(put_body_bytes(1) - 1), uint32_t(put_body_bytes(1) + 1),
                         uint32_t(put_body_bytes(65)), 0xffffffffu}) {
    ASSERT_TRUE(encode_request_header(put_header, Op::kPut, bytes, 1).ok());
    cases.push_back({"put size", put_header, Error::kBadFormat});
  }
  for (const Malformed& c : cases) {
    const char* reason = nullptr;
    Result<RequestHeader> header = decode_request_header(c.bytes, &reason);
    ASSERT_FALSE(header.ok()) << c.name;
    EXPECT_EQ(header.error(), c.error) << c.name;
    ASSERT_NE(reason, nullptr) << c.name;
    EXPECT_GT(std::strlen(reason), 0u) << c.name;
  }
}

TEST(PagestoreWire, MalformedPutBodiesAreRefused) {
  Bytes request = put_request(5, 2);
  Bytes body(request.begin() + kRequestHeaderBytes, request.end());
  auto set64 = [](Bytes b, size_t at, uint64_t v) {
    for (size_t i = 0; i < 8; ++i) b[at + i] = uint8_t(v >> (8 * i));
    return b;
  };
  const size_t first_vaddr = kPutPrefixBytes;
  const size_t second_vaddr = kPutPrefixBytes + kPutEntryBytes;
  std::vector<Malformed> cases = {
      {"pid 0", set64(body, 0, 0), Error::kBadFormat},
      {"count 0", set64(body, 8, 0), Error::kBadFormat},
      {"count 3", set64(body, 8, 3), Error::kTruncated},
      {"count 65", set64(body, 8, 65), Error::kBadFormat},
      {"reserved", set64(body, 8, 2 | (1ull << 32)), Error::kBadFormat},
      {"unaligned", set64(body, first_vaddr, 0x1001), Error::kBadFormat},
      {"kernel address", set64(body, first_vaddr, 0xffff'8000'0000'0000), Error::kBadFormat},
      {"twice", set64(body, second_vaddr, 0x1000), Error::kBadFormat},
      {"cut", Bytes(body.begin(), body.end() - 1), Error::kTruncated},
      {"prefix only", Bytes(body.begin(), body.begin() + 10), Error::kTruncated},
      {"extra",
       [&] {
         Bytes b = body;
         b.push_back(0);
         return b;
       }(),
       Error::kBadFormat},
  };
  for (const Malformed& c : cases) {
    const char* reason = nullptr;
    Result<PutRequest> put = decode_put(c.bytes, &reason);
    ASSERT_FALSE(put.ok()) << c.name;
    EXPECT_EQ(put.error(), c.error) << c.name;
    EXPECT_NE(reason, nullptr) << c.name;
  }
}

TEST(PagestoreWire, MalformedGetsAndDropsAreRefused) {
  const char* reason = nullptr;
  Bytes out(kRequestHeaderBytes + kGetBodyBytes);
  auto get_body = [&](GetRequest get) {
    (void)encode_get(out, 1, get);
    return Bytes(out.begin() + kRequestHeaderBytes, out.end());
  };
  EXPECT_EQ(decode_get(get_body({0, 0x1000, 1}), &reason).error(), Error::kBadFormat);
  EXPECT_EQ(decode_get(get_body({1, 0x1000, 0}), &reason).error(), Error::kBadFormat);
  EXPECT_EQ(decode_get(get_body({1, 0x1000, 65}), &reason).error(), Error::kBadFormat);
  EXPECT_EQ(decode_get(get_body({1, 0x1008, 1}), &reason).error(), Error::kBadFormat);
  // The run's last page would pass the user limit.
  EXPECT_EQ(decode_get(get_body({1, kUserAddressLimit - kPageBytes, 2}), &reason).error(),
            Error::kBadFormat);
  EXPECT_TRUE(decode_get(get_body({1, kUserAddressLimit - kPageBytes, 1}), &reason).ok());
  Bytes body = get_body({1, 0x1000, 1});
  EXPECT_EQ(decode_get({body.data(), body.size() - 1}, &reason).error(), Error::kTruncated);
  EXPECT_EQ(decode_drop(Bytes(8, 0), &reason).error(), Error::kBadFormat);
  EXPECT_EQ(decode_drop(Bytes(7, 1), &reason).error(), Error::kTruncated);
  EXPECT_EQ(decode_drop(Bytes(9, 1), &reason).error(), Error::kBadFormat);
}

TEST(PagestoreWire, MalformedRepliesAreRefused) {
  const char* reason = nullptr;
  Bytes header(kReplyHeaderBytes);
  ASSERT_TRUE(encode_reply_header(header, Op::kPut, Error::kOk, kPutReplyBytes, 1, "").ok());
  EXPECT_TRUE(decode_reply_header(header, Op::kPut, &reason).ok());
  EXPECT_EQ(decode_reply_header(header, Op::kGet, &reason).error(), Error::kBadFormat);
  ASSERT_TRUE(encode_reply_header(header, Op::kPut, Error::kOk, 9, 1, "").ok());
  EXPECT_EQ(decode_reply_header(header, Op::kPut, &reason).error(), Error::kBadFormat);
  ASSERT_TRUE(encode_reply_header(header, Op::kPut, Error::kBusy, 8, 1, "").ok());
  EXPECT_EQ(decode_reply_header(header, Op::kPut, &reason).error(), Error::kBadFormat)
      << "an error reply carries no body";
  ASSERT_TRUE(encode_reply_header(header, Op::kGet, Error::kOk, 0xffffff, 1, "").ok());
  EXPECT_EQ(decode_reply_header(header, Op::kGet, &reason).error(), Error::kBadFormat);
  EXPECT_EQ(decode_reply_header({header.data(), 63}, Op::kGet, &reason).error(), Error::kTruncated);

  Bytes get(kGetReplyPrefixBytes + kPageBytes);
  (void)encode_get_reply_prefix(get, 2, 0b1);
  EXPECT_TRUE(decode_get_reply(get, 2, &reason).ok());
  EXPECT_EQ(decode_get_reply(get, 3, &reason).error(), Error::kBadFormat);  // another run
  (void)encode_get_reply_prefix(get, 2, 0b100);                             // a page beyond the run
  EXPECT_EQ(decode_get_reply(get, 2, &reason).error(), Error::kBadFormat);
  (void)encode_get_reply_prefix(get, 2, 0b11);  // two bits, one page
  EXPECT_EQ(decode_get_reply(get, 2, &reason).error(), Error::kBadFormat);
  EXPECT_EQ(decode_get_reply({get.data(), 15}, 2, &reason).error(), Error::kTruncated);

  Bytes stats(kStatsReplyBytes);
  (void)encode_stats_reply(stats, {1, 0, 4096, 0, 0, 0, 0, 1});  // more held than the bound
  EXPECT_EQ(decode_stats_reply(stats, &reason).error(), Error::kBadFormat);
  Bytes put(kPutReplyBytes);
  (void)encode_put_reply(put, {2, 3});  // more added than stored
  EXPECT_EQ(decode_put_reply(put, &reason).error(), Error::kBadFormat);
}

// Mutated valid requests: every decoder either refuses (with a reason) or accepts something
// that satisfies its promises; inputs are exact-size copies, so a read past the end shows
// under ASan.
TEST(PagestoreWire, MutatedRequestsAreRefusedOrValid) {
  std::mt19937 random(7203);
  std::vector<Bytes> samples = {put_request(3, 1), put_request(3, 4)};
  Bytes get(kRequestHeaderBytes + kGetBodyBytes);
  (void)encode_get(get, 1, {3, 0x5000, 3});
  samples.push_back(get);
  size_t accepted = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes bytes = samples[size_t(i) % samples.size()];
    for (int edit = 0; edit < 1 + int(random() % 3); ++edit) {
      switch (random() % 3) {
        case 0: bytes[random() % bytes.size()] ^= uint8_t(1u << (random() % 8)); break;
        case 1: bytes[random() % 24] = uint8_t(random()); break;  // header and prefix
        case 2: bytes.resize(kRequestHeaderBytes + random() % (bytes.size() - 15)); break;
      }
    }
    const char* reason = nullptr;
    Bytes header(bytes.begin(), bytes.begin() + kRequestHeaderBytes);
    Result<RequestHeader> h = decode_request_header(header, &reason);
    Bytes body(bytes.begin() + kRequestHeaderBytes, bytes.end());
    Result<PutRequest> put = decode_put(body, &reason);
    Result<GetRequest> got = decode_get(body, &reason);
    if (put.ok()) {
      EXPECT_EQ(body.size(), put_body_bytes(put->count));
      for (uint32_t p = 0; p < put->count; ++p) {
        EXPECT_EQ(put->page(p).vaddr % kPageBytes, 0u);
      }
    }
    if (got.ok()) {
      EXPECT_LE(got->count, kMaxPagesPerRequest);
    }
    (h.ok() ? accepted : refused) += 1;
    if (!h.ok()) {
      EXPECT_NE(reason, nullptr);
    }
  }
  EXPECT_GT(refused, 0u);
  EXPECT_GT(accepted, 0u);
}

// The fuzz target's entry point (every decoder, and the request path over a small store) over
// mutated valid requests and replies: it traps on a broken invariant.
TEST(PagestoreWire, FuzzEntryHoldsOverMutatedInput) {
  std::mt19937 random(5);
  std::vector<Bytes> samples = {put_request(3, 1), put_request(3, 9)};
  Bytes get(kRequestHeaderBytes + kGetBodyBytes);
  (void)encode_get(get, 1, {3, 0x1000, 9});
  samples.push_back(get);
  Bytes stats(kRequestHeaderBytes);
  (void)encode_stats(stats, 2);
  samples.push_back(stats);
  for (int i = 0; i < 2000; ++i) {
    Bytes bytes = samples[size_t(i) % samples.size()];
    if (i % 5 != 0) bytes[random() % bytes.size()] ^= uint8_t(1u << (random() % 8));
    if (i % 7 == 0) bytes.resize(random() % (bytes.size() + 1));
    fuzz_pagestore_input(bytes.data(), bytes.size());
  }
  SUCCEED();
}

}  // namespace
}  // namespace atoll_os::servers::pagestore
