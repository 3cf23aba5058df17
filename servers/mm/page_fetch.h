// The page-fetch protocol of lazy and postcopy migrations: the destination's mm asks the
// source's mm for pages over one TCP connection per migrated process (port kPageFetchPort),
// and the source answers each request with one reply and the pages' bytes. Fixed layouts,
// little-endian; each side checks every field before it trusts it.
//
//   destination → source   FetchRequest
//   source → destination   FetchReply, then reply.pages × 4096 bytes (pages start..)
//
// kHello names the migration (first on a connection); kFetch asks for the page at `address`
// and up to count-1 more after it (a remote page fault); kPull lets the source choose up to
// `count` pages still there (postcopy's background stream, from `address` on); kDone says the
// destination needs nothing more (every page arrived, or the process ended) and reports its
// remote faults (count) and their summed wait (wait_ns): the source frees everything.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/result.h"
#include "memory_slice.h"

namespace atoll_os::servers::mm {

inline constexpr uint16_t kPageFetchPort = 7203;
inline constexpr uint32_t kFetchMagic = 0x48435446;  // "FTCH"
inline constexpr uint16_t kFetchVersion = 1;
/// Pages one reply carries at most: one slice window's worth.
inline constexpr uint32_t kFetchMaxPages = 16;

enum class FetchKind : uint16_t { kHello = 1, kFetch = 2, kPull = 3, kDone = 4 };

struct FetchRequest {
  uint32_t magic;
  uint16_t version;
  FetchKind kind;
  uint64_t migration_id;
  uint64_t pid;
  uint64_t address;  // kFetch: the faulting page; kPull: where to go on from
  uint64_t count;    // kFetch, kPull: pages at most; kDone: remote faults
  uint64_t wait_ns;  // kDone: their summed wait
};
static_assert(sizeof(FetchRequest) == 48);

struct FetchReply {
  uint32_t magic;
  uint16_t version;
  FetchKind kind;  // the request's
  int32_t error;   // Error: kOk, or why not (then no pages)
  uint32_t pages;  // bytes of these many pages follow
  uint64_t start;  // the first page's address
};
static_assert(sizeof(FetchReply) == 24);

FetchRequest fetch_request(FetchKind kind, uint64_t migration_id, uint64_t pid,
                           uint64_t address = 0, uint64_t count = 0, uint64_t wait_ns = 0);
FetchReply fetch_reply(FetchKind kind, Error error, uint64_t start = 0, uint32_t pages = 0);

/// The source's check of a request: magic, version, a known kind, 1..kFetchMaxPages pages
/// for kFetch and kPull, at a page-aligned address in user space (the ProcessStart page,
/// pm's, excluded). On refusal `*refusal` says why.
Result<void> check_request(const FetchRequest& request, SliceError* refusal);

/// The destination's check of a reply to `request`: magic, version, its kind; on success,
/// 1..request.count pages (kFetch, kPull; 0 for the others), page-aligned, for kFetch starting
/// at the asked page. A reply with an error carries no pages.
Result<void> check_reply(const FetchReply& reply, const FetchRequest& request, SliceError* refusal);

}  // namespace atoll_os::servers::mm
