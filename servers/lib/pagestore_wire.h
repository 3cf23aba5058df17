// The page store's wire format (docs/pagestore.md): requests and replies on one TCP stream,
// little-endian, versioned, every decoder bounds-checked and refusing with a reason.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/result.h"

namespace atoll_os::servers::pagestore {

/// The TCP port the page store listens on.
inline constexpr uint16_t kPageStorePort = 7205;

inline constexpr uint32_t kRequestMagic = 0x54534750;  // "PGST" on the wire
inline constexpr uint32_t kReplyMagic = 0x52534750;    // "PGSR" on the wire
inline constexpr uint16_t kWireVersion = 1;

inline constexpr size_t kPageBytes = 4096;
/// Pages one put or get carries at most.
inline constexpr uint32_t kMaxPagesPerRequest = 64;
/// Page addresses are user addresses: page-aligned and below this.
inline constexpr uint64_t kUserAddressLimit = 0x0000'8000'0000'0000;

enum class Op : uint16_t { kPut = 1, kGet = 2, kDrop = 3, kStats = 4 };

/// Fixed sizes on the wire.
inline constexpr size_t kRequestHeaderBytes = 16;  // magic, version, op, body_bytes, sequence
inline constexpr size_t kReplyHeaderBytes = 64;    // magic .. sequence, reserved, reason
inline constexpr size_t kReasonBytes = 40;         // NUL-padded, NUL-terminated
inline constexpr size_t kPutPrefixBytes = 16;      // pid, count, reserved
inline constexpr size_t kPutEntryBytes = 8 + kPageBytes;  // vaddr, page
inline constexpr size_t kGetBodyBytes = 24;               // pid, vaddr, count, reserved
inline constexpr size_t kDropBodyBytes = 8;               // pid
inline constexpr size_t kPutReplyBytes = 8;               // stored, added
inline constexpr size_t kGetReplyPrefixBytes = 16;        // count, reserved, present bitmap
inline constexpr size_t kDropReplyBytes = 8;              // dropped
inline constexpr size_t kStatsReplyBytes = 64;            // eight u64

/// The largest bodies either side accepts.
inline constexpr size_t kMaxRequestBody = kPutPrefixBytes + kMaxPagesPerRequest * kPutEntryBytes;
inline constexpr size_t kMaxReplyBody = kGetReplyPrefixBytes + kMaxPagesPerRequest * kPageBytes;

struct RequestHeader {
  Op op;
  uint32_t body_bytes;
  uint32_t sequence;  // echoed in the reply
};

struct ReplyHeader {
  Op op;
  Error error;  // kOk, or why the request was refused (reason says more)
  uint32_t body_bytes;
  uint32_t sequence;
  char reason[kReasonBytes];
};

/// One page of a put: its address and kPageBytes of data.
struct PageRef {
  uint64_t vaddr;
  const uint8_t* data;
};

/// A decoded put: `count` entries in `entries` (kPutEntryBytes each, in the request buffer).
struct PutRequest {
  uint64_t pid;
  uint32_t count;
  std::span<const uint8_t> entries;
  PageRef page(uint32_t i) const;
};

struct GetRequest {
  uint64_t pid;
  uint64_t vaddr;  // the first page of the run
  uint32_t count;  // 1 .. kMaxPagesPerRequest
};

struct PutReply {
  uint32_t stored;  // pages written
  uint32_t added;   // of them, pages the store did not hold before
};

/// The pages of a get reply: bit i of `present` says page i of the run is held; the held
/// pages follow back to back, in run order, in `pages`.
struct GetReply {
  uint32_t count;
  uint64_t present;
  std::span<const uint8_t> pages;
  /// Page i's data, or nullptr if the store does not hold it. i < count.
  const uint8_t* page(uint32_t i) const;
};

struct StoreStats {
  uint64_t memory_pages;     // held in memory
  uint64_t disk_pages;       // held on the disk
  uint64_t bytes;            // (memory_pages + disk_pages) * kPageBytes
  uint64_t memory_capacity;  // the memory bound, in pages
  uint64_t disk_capacity;    // pages the disk holds at most (0: no disk)
  uint64_t spilled;          // pages written to the disk since start
  uint64_t refused;          // puts refused for want of room since start
  uint64_t pids;             // processes with pages held
};

// Encoders: each writes into `out` and returns the bytes written, or kOutOfRange if `out`
// is too small (nothing useful written) or kInvalidArgument for an impossible request.

Result<size_t> encode_request_header(std::span<uint8_t> out, Op op, uint32_t body_bytes,
                                     uint32_t sequence);
/// Header and body of a put of `pages` (1 .. kMaxPagesPerRequest).
Result<size_t> encode_put(std::span<uint8_t> out, uint32_t sequence, uint64_t pid,
                          std::span<const PageRef> pages);
Result<size_t> encode_get(std::span<uint8_t> out, uint32_t sequence, const GetRequest& get);
Result<size_t> encode_drop(std::span<uint8_t> out, uint32_t sequence, uint64_t pid);
Result<size_t> encode_stats(std::span<uint8_t> out, uint32_t sequence);

/// A reply header; `reason` is cut to kReasonBytes - 1.
Result<size_t> encode_reply_header(std::span<uint8_t> out, Op op, Error error, uint32_t body_bytes,
                                   uint32_t sequence, const char* reason);
Result<size_t> encode_put_reply(std::span<uint8_t> out, const PutReply& reply);
/// The prefix of a get reply; the caller appends popcount(present) pages.
Result<size_t> encode_get_reply_prefix(std::span<uint8_t> out, uint32_t count, uint64_t present);
Result<size_t> encode_drop_reply(std::span<uint8_t> out, uint64_t dropped);
Result<size_t> encode_stats_reply(std::span<uint8_t> out, const StoreStats& stats);

// Decoders: kTruncated (too short), kBadFormat (anything else wrong), with `*reason` set; they
// read only inside `in`.

/// Exactly kRequestHeaderBytes. Checks magic, version, a known op and a body size that op
/// allows (exact for get, drop and stats; for put, a whole number of entries, 1 .. 64).
Result<RequestHeader> decode_request_header(std::span<const uint8_t> in, const char** reason);
/// A put body: a nonzero PID, count matching the body, every address page-aligned and a
/// user address, no address twice.
Result<PutRequest> decode_put(std::span<const uint8_t> body, const char** reason);
/// A get body: a nonzero PID, count 1 .. 64, an aligned run wholly below the user limit.
Result<GetRequest> decode_get(std::span<const uint8_t> body, const char** reason);
/// A drop body: a nonzero PID.
Result<uint64_t> decode_drop(std::span<const uint8_t> body, const char** reason);

/// Exactly kReplyHeaderBytes. Checks magic, version, that op is `expected` and the body size
/// that op allows (for an error reply: empty). The reason is NUL-terminated on return.
Result<ReplyHeader> decode_reply_header(std::span<const uint8_t> in, Op expected,
                                        const char** reason);
Result<PutReply> decode_put_reply(std::span<const uint8_t> body, const char** reason);
/// A get reply for a run of `requested` pages: the same count, no bit at or above it, and
/// exactly one page per bit.
Result<GetReply> decode_get_reply(std::span<const uint8_t> body, uint32_t requested,
                                  const char** reason);
Result<uint64_t> decode_drop_reply(std::span<const uint8_t> body, const char** reason);
Result<StoreStats> decode_stats_reply(std::span<const uint8_t> body, const char** reason);

/// The address of node `store_node` (the store's: `pagestore=` on the command line, 0 if
/// absent), given this node's address (`own_ip`, network byte order, as net.h carries it)
/// and number: node n is at node 0's address plus n (docs/cluster.md, "Address plan").
/// kOutOfRange if that leaves the /24 or own_node cannot be this address's node.
Result<uint32_t> node_ip(uint32_t own_ip, uint64_t own_node, uint64_t store_node);

/// The body size of a put of `count` pages.
constexpr size_t put_body_bytes(uint32_t count) {
  return kPutPrefixBytes + size_t{count} * kPutEntryBytes;
}

}  // namespace atoll_os::servers::pagestore
