// The page store's client: requests staged in the caller's buffer, replies read straight to
// where they go.
#include "pagestore_client.h"

#include <utility>

#include "atoll/user/clock.h"

namespace atoll_os::servers::pagestore {
namespace {

namespace net = protocols::net;

constexpr uint64_t kRefusedRetryMs = 100;

}  // namespace

PageStoreClient::PageStoreClient(net::Client& net, uint32_t ip, std::span<uint8_t> buffer,
                                 uint16_t port)
    : net_(&net), ip_(ip), port_(port), buffer_(buffer) {}

void PageStoreClient::set_reason(const char* text) {
  size_t n = 0;
  while (text != nullptr && text[n] != '\0' && n + 1 < sizeof(reason_)) {
    reason_[n] = text[n];
    ++n;
  }
  reason_[n] = '\0';
}

void PageStoreClient::close() {
  if (stream_ != nullptr) (void)stream_->close(kClientStallNs);
  stream_ = nullptr;
  reused_ = false;
}

// A refused connection is tried again for a while: the store may still be starting.
Result<void> PageStoreClient::ensure_connected() {
  if (stream_ != nullptr) return success();
  const uint64_t give_up = user::now_ns() + kClientStallNs;
  for (;;) {
    net::Stream* stream = TRY(net::Stream::connect(*net_, ip_, port_));
    Result<void> connected = stream->wait_connected(kClientStallNs);
    if (connected.ok()) {
      stream_ = stream;
      reused_ = false;
      return success();
    }
    set_reason(stream->reason());
    (void)stream->close(0);
    if (connected.error() != Error::kNotFound || user::now_ns() > give_up) {
      return Err(connected.error());
    }
    (void)user::sleep_ms(kRefusedRetryMs);
  }
}

Result<void> PageStoreClient::fail_connection(Error error, const char* why) {
  set_reason(why);
  transport_failed_ = true;
  close();
  return Err(error);
}

Result<void> PageStoreClient::send_small(const uint8_t* data, size_t length) {
  Result<void> written = stream_->write(data, length, kClientStallNs);
  if (!written.ok()) return fail_connection(written.error(), "write to the store failed");
  return success();
}

Result<void> PageStoreClient::read_exact(void* out, size_t length) {
  auto* bytes = static_cast<uint8_t*>(out);
  size_t got = 0;
  while (got < length) {
    Result<size_t> n = stream_->read(bytes + got, length - got, kClientStallNs);
    if (!n.ok()) return fail_connection(n.error(), "no answer from the store");
    if (*n == 0) return fail_connection(Error::kTruncated, "the store closed the connection");
    got += *n;
  }
  return success();
}

Result<ReplyHeader> PageStoreClient::read_reply_header(Op op) {
  uint8_t bytes[kReplyHeaderBytes];
  TRY(read_exact(bytes, sizeof(bytes)));
  const char* why = "";
  Result<ReplyHeader> header = decode_reply_header(bytes, op, &why);
  if (!header.ok()) {
    TRY(fail_connection(Error::kBadFormat, why));
  }
  if (header->sequence != sequence_) {
    TRY(fail_connection(Error::kBadFormat, "reply: out of sequence"));
  }
  if (header->error != Error::kOk) {
    set_reason(header->reason);
    return Err(header->error);
  }
  return *header;
}

// Fills the buffer with header, prefix and entries, writing it out whenever the next entry
// would not fit.
Result<void> PageStoreClient::send_put(uint64_t pid, std::span<const PageRef> pages) {
  const uint32_t count = uint32_t(pages.size());
  size_t used =
      TRY(encode_request_header(buffer_, Op::kPut, uint32_t(put_body_bytes(count)), ++sequence_));
  uint8_t prefix[kPutPrefixBytes] = {};
  for (size_t i = 0; i < 8; ++i) prefix[i] = uint8_t(pid >> (8 * i));
  for (size_t i = 0; i < 4; ++i) prefix[8 + i] = uint8_t(count >> (8 * i));
  __builtin_memcpy(buffer_.data() + used, prefix, sizeof(prefix));
  used += sizeof(prefix);
  for (const PageRef& page : pages) {
    if (buffer_.size() - used < kPutEntryBytes) {
      TRY(send_small(buffer_.data(), used));
      used = 0;
    }
    for (size_t i = 0; i < 8; ++i) buffer_[used + i] = uint8_t(page.vaddr >> (8 * i));
    __builtin_memcpy(buffer_.data() + used + 8, page.data, kPageBytes);
    used += kPutEntryBytes;
  }
  return send_small(buffer_.data(), used);
}

Result<PutReply> PageStoreClient::put_once(uint64_t pid, std::span<const PageRef> pages) {
  TRY(ensure_connected());
  TRY(send_put(pid, pages));
  ReplyHeader header = TRY(read_reply_header(Op::kPut));
  uint8_t body[kPutReplyBytes];
  TRY(read_exact(body, sizeof(body)));
  const char* why = "";
  Result<PutReply> reply = decode_put_reply(body, &why);
  if (!reply.ok() || reply->stored != pages.size()) {
    TRY(fail_connection(Error::kBadFormat, reply.ok() ? "reply: wrong page count" : why));
  }
  (void)header;
  return *reply;
}

Result<uint64_t> PageStoreClient::get_run_once(uint64_t pid, uint64_t vaddr, uint32_t count,
                                               uint8_t* out) {
  TRY(ensure_connected());
  uint8_t request[kRequestHeaderBytes + kGetBodyBytes];
  size_t n = TRY(encode_get(request, ++sequence_, GetRequest{pid, vaddr, count}));
  TRY(send_small(request, n));
  ReplyHeader header = TRY(read_reply_header(Op::kGet));
  uint8_t prefix[kGetReplyPrefixBytes];
  TRY(read_exact(prefix, sizeof(prefix)));
  // The pages are checked against the prefix before any is read, so `out` gets only pages
  // the bitmap promises, each at its place in the run.
  size_t pages_bytes = header.body_bytes - kGetReplyPrefixBytes;
  uint64_t present = 0;
  for (size_t i = 0; i < 8; ++i) present |= uint64_t(prefix[8 + i]) << (8 * i);
  uint32_t reply_count = uint32_t(prefix[0]) | uint32_t(prefix[1]) << 8 |
                         uint32_t(prefix[2]) << 16 | uint32_t(prefix[3]) << 24;
  bool beyond = count < 64 && (present >> count) != 0;
  if (reply_count != count || beyond ||
      pages_bytes != size_t(__builtin_popcountll(present)) * kPageBytes) {
    TRY(fail_connection(Error::kBadFormat, "reply: pages do not match the run"));
  }
  for (uint32_t i = 0; i < count; ++i) {
    if (present & (uint64_t{1} << i)) TRY(read_exact(out + size_t{i} * kPageBytes, kPageBytes));
  }
  return present;
}

Result<uint64_t> PageStoreClient::drop_once(uint64_t pid) {
  TRY(ensure_connected());
  uint8_t request[kRequestHeaderBytes + kDropBodyBytes];
  size_t n = TRY(encode_drop(request, ++sequence_, pid));
  TRY(send_small(request, n));
  TRY(read_reply_header(Op::kDrop));
  uint8_t body[kDropReplyBytes];
  TRY(read_exact(body, sizeof(body)));
  const char* why = "";
  return decode_drop_reply(body, &why);
}

Result<StoreStats> PageStoreClient::stats_once() {
  TRY(ensure_connected());
  uint8_t request[kRequestHeaderBytes];
  size_t n = TRY(encode_stats(request, ++sequence_));
  TRY(send_small(request, n));
  TRY(read_reply_header(Op::kStats));
  uint8_t body[kStatsReplyBytes];
  TRY(read_exact(body, sizeof(body)));
  const char* why = "";
  Result<StoreStats> stats = decode_stats_reply(body, &why);
  if (!stats.ok()) TRY(fail_connection(Error::kBadFormat, why));
  return stats;
}

// Notes a call's success (the connection has now served one) and passes its result on.
template <typename T>
Result<T> PageStoreClient::succeeded(Result<T>&& result) {
  if (result.ok()) {
    reused_ = true;
    reason_[0] = '\0';
  }
  return std::move(result);
}

// Runs `once` and, if it failed on the transport of a connection that had served a call
// before (the store may have closed it as idle), once more on a new connection. Refusals
// and failures of a fresh connection are final.
template <typename Once>
auto PageStoreClient::call(Once once) -> decltype(once()) {
  transport_failed_ = false;
  const bool was_reused = stream_ != nullptr && reused_;
  auto first = once();
  if (first.ok() || !was_reused || !transport_failed_) return succeeded(std::move(first));
  transport_failed_ = false;
  return succeeded(once());
}

Result<PutReply> PageStoreClient::put(uint64_t pid, std::span<const PageRef> pages) {
  if (pages.empty() || pages.size() > kMaxPagesPerRequest || buffer_.size() < kMinClientBuffer) {
    set_reason("a put carries 1 to 64 pages, through a buffer of kMinClientBuffer");
    return Err(Error::kInvalidArgument);
  }
  return call([&] { return put_once(pid, pages); });
}

Result<bool> PageStoreClient::get(uint64_t pid, uint64_t vaddr, uint8_t* out) {
  uint64_t present = TRY(get_run(pid, vaddr, 1, out));
  return present != 0;
}

Result<uint64_t> PageStoreClient::get_run(uint64_t pid, uint64_t vaddr, uint32_t count,
                                          uint8_t* out) {
  if (count == 0 || count > kMaxPagesPerRequest) {
    set_reason("a get covers 1 to 64 pages");
    return Err(Error::kInvalidArgument);
  }
  return call([&] { return get_run_once(pid, vaddr, count, out); });
}

Result<uint64_t> PageStoreClient::drop(uint64_t pid) {
  return call([&] { return drop_once(pid); });
}

Result<StoreStats> PageStoreClient::stats() {
  return call([&] { return stats_once(); });
}

}  // namespace atoll_os::servers::pagestore
