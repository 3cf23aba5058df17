// The page store's client, for mm (the flush and eager-dirty strategies) and test programs:
// blocking calls over one TCP stream through net, like SliceChannel (docs/pagestore.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/protocols/net_client.h"
#include "atoll/result.h"
#include "pagestore_wire.h"

namespace atoll_os::servers::pagestore {

/// The smallest scratch buffer a client works with: one request header and one put entry.
inline constexpr size_t kMinClientBuffer = kRequestHeaderBytes + kPutPrefixBytes + kPutEntryBytes;
/// A buffer that holds a whole 64-page put: each put is then one write to the stream.
inline constexpr size_t kFullBatchClientBuffer =
    kRequestHeaderBytes + put_body_bytes(kMaxPagesPerRequest);

/// How long a call waits for the store without progress before it fails with kTimedOut.
inline constexpr uint64_t kClientStallNs = 5'000'000'000;

/// The store's address: node_ip() in pagestore_wire.h.
///
/// One connection to the page store, opened at the first call and kept; a call that finds it
/// broken (the store closed an idle connection, or restarted) reconnects once and repeats
/// itself (every operation may be repeated: a put overwrites, a drop of nothing drops 0).
///
/// Errors: the store's refusal as it sent it — kOutOfMemory "store full" (the whole put was
/// refused: nothing of it stored) or "too many processes", kBadFormat for a request it could
/// not decode, kNotSupported... with reason() saying why; kNotFound if the store refuses
/// connections (not running there), kTimedOut if it stops answering for kClientStallNs,
/// kBadFormat ("reply: ...") if a reply does not decode (the connection is then closed).
///
/// Not thread-safe: use one client per thread, or hold a lock around each call. Blocking:
/// call it from a thread that may wait (mm: its sender/receiver threads, not its fault loop).
class PageStoreClient {
 public:
  /// A client of the store at `ip` (network byte order) on `port`, calling net through `net`
  /// (which must outlive it, e.g. migration::slice_net()). `buffer` (at least
  /// kMinClientBuffer bytes, kept by the caller for the client's life) stages requests; with
  /// kFullBatchClientBuffer a put goes in one write. Nothing is sent until the first call.
  PageStoreClient(protocols::net::Client& net, uint32_t ip, std::span<uint8_t> buffer,
                  uint16_t port = kPageStorePort);
  ~PageStoreClient() { close(); }
  PageStoreClient(const PageStoreClient&) = delete;
  PageStoreClient& operator=(const PageStoreClient&) = delete;

  /// Stores `pages` (1 .. kMaxPagesPerRequest, each kPageBytes at .data, page-aligned user
  /// addresses, none twice) of process `pid`, all or none. kInvalidArgument for a batch
  /// outside those limits or a buffer below kMinClientBuffer (nothing sent).
  Result<PutReply> put(uint64_t pid, std::span<const PageRef> pages);

  /// Page `vaddr` of `pid` into `out` (kPageBytes); false (out untouched) if not held.
  Result<bool> get(uint64_t pid, uint64_t vaddr, uint8_t* out);

  /// The run of `count` (1 .. kMaxPagesPerRequest) pages from `vaddr`: page i, if held, is
  /// written at out + i * kPageBytes (out holds count pages); pages not held are left as
  /// they were. Returns the bitmap of pages held (bit i: page i).
  Result<uint64_t> get_run(uint64_t pid, uint64_t vaddr, uint32_t count, uint8_t* out);

  /// Forgets every page of `pid`; returns how many the store held.
  Result<uint64_t> drop(uint64_t pid);

  /// The store's counters (pages held, bytes, capacity, spilled, refused).
  Result<StoreStats> stats();

  /// Why the last call failed ("" after a success): the store's reason or the client's.
  const char* reason() const { return reason_; }
  /// Closes the connection (the next call opens a new one).
  void close();

 private:
  Result<void> ensure_connected();
  Result<void> send_put(uint64_t pid, std::span<const PageRef> pages);
  Result<void> send_small(const uint8_t* data, size_t length);
  Result<ReplyHeader> read_reply_header(Op op);
  Result<void> read_exact(void* out, size_t length);
  Result<PutReply> put_once(uint64_t pid, std::span<const PageRef> pages);
  Result<uint64_t> get_run_once(uint64_t pid, uint64_t vaddr, uint32_t count, uint8_t* out);
  Result<uint64_t> drop_once(uint64_t pid);
  Result<StoreStats> stats_once();
  Result<void> fail_connection(Error error, const char* why);
  void set_reason(const char* text);
  template <typename Once>
  auto call(Once once) -> decltype(once());
  template <typename T>
  Result<T> succeeded(Result<T>&& result);

  protocols::net::Client* net_;
  uint32_t ip_;
  uint16_t port_;
  std::span<uint8_t> buffer_;
  protocols::net::Stream* stream_ = nullptr;
  uint32_t sequence_ = 0;
  bool reused_ = false;  // the current connection carried a call before this one
  bool transport_failed_ = false;
  char reason_[64] = {};
};

}  // namespace atoll_os::servers::pagestore
