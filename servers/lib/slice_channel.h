// The connection a migration slice travels on: one TCP stream through net from a server on
// the source node to the same server on the destination, carrying one slice of one
// migration, then the receiver's acknowledgement back (docs/migration.md, "Slices").
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/net_client.h"
#include "atoll/result.h"

namespace atoll_os::servers::migration {

namespace net = protocols::net;

/// The TCP ports the slice receivers listen on.
inline constexpr uint16_t kMemorySlicePort = 7201;
inline constexpr uint16_t kProcessSlicePort = 7202;
inline constexpr uint16_t kPortSlicePort = 7204;  // ipcm's

inline constexpr uint32_t kSliceMagic = 0x534c4943;  // "CILS" on the wire: little-endian "SLIC"
inline constexpr uint16_t kSliceVersion = 1;

enum class SliceKind : uint16_t { kMemory = 1, kProcess = 2, kPorts = 3 };

/// The first bytes on a slice connection.
struct SliceHeader {
  uint32_t magic;
  uint16_t version;
  SliceKind kind;
  uint64_t migration_id;
  uint64_t pid;
  uint64_t body_bytes;  // what follows the header, exactly
};
static_assert(sizeof(SliceHeader) == 32);

/// The header of a slice of `kind` with `body_bytes` to follow.
constexpr SliceHeader slice_header(SliceKind kind, uint64_t migration_id, uint64_t pid,
                                   uint64_t body_bytes) {
  return {kSliceMagic, kSliceVersion, kind, migration_id, pid, body_bytes};
}

/// The receiver's answer once it has taken the whole body: error 0 (Error::kOk) or why not.
struct SliceAck {
  int32_t error;
  uint32_t reserved;
  uint64_t pages;  // pages the receiver installed (memory slices)
  char reason[48];
};
static_assert(sizeof(SliceAck) == 64);

inline constexpr size_t kSmallSliceMax = 32 * 1024;

/// How long a slice connection may sit without progress before it is given up.
inline constexpr uint64_t kSliceIdleTimeoutNs = 5'000'000'000;

/// One slice connection (either end). Not copyable: close() it once.
class SliceChannel {
 public:
  /// Connects to the slice receiver on `ip` (network byte order) at `port`; kNotFound if
  /// refused, kTimedOut if nobody answers within kSliceIdleTimeoutNs.
  static Result<SliceChannel> connect(net::Client& net, uint32_t ip, uint16_t port);
  explicit SliceChannel(net::Stream* stream) : stream_(stream) {}

  Result<void> write(const void* data, size_t length);
  /// Reads exactly `length` bytes; kTruncated if the peer closed first, kTimedOut if nothing
  /// came for kSliceIdleTimeoutNs.
  Result<void> read_exact(void* out, size_t length);
  /// A whole small slice, header and body, in one write (at most kSmallSliceMax bytes of
  /// body): two writes would go as two segments, and Nagle's algorithm holds the second
  /// until the first is acknowledged, which a fresh connection may delay by a
  /// retransmission timeout (2.5 s measured).
  Result<void> write_small_slice(SliceKind kind, uint64_t migration_id, uint64_t pid,
                                 const void* body, size_t length);
  /// Reads and checks a header (magic, version, kind): kBadFormat otherwise.
  Result<SliceHeader> read_header(SliceKind expected);
  Result<void> write_ack(Error error, uint64_t pages, const char* reason);
  Result<SliceAck> read_ack();
  /// Flushes what was written (up to the idle timeout) and closes.
  void close();
  /// The other end's address (network byte order).
  uint32_t peer_ip() const { return stream_->peer_ip(); }

 private:
  net::Stream* stream_;
};

/// Serves slice connections on `port` in a thread of its own, one connection at a time:
/// `handle(channel, context)` reads the header, the body and answers with an ack; the
/// channel is closed after it. The net server is looked up (again and again) until found.
/// `priority`: the thread's; a receiver that shares a YieldingLock with the server's main
/// thread must run at its priority (a waiter only yields, so a lower-priority holder would
/// never run again).
using SliceHandler = void (*)(SliceChannel& channel, void* context);
Result<void> start_slice_receiver(uint16_t port, SliceHandler handle, void* context,
                                  uint32_t priority);

/// A session with net for the senders of slices, found (and kept) on first use.
Result<net::Client*> slice_net();

}  // namespace atoll_os::servers::migration
