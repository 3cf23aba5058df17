// The page-fetch protocol's messages and their checks.
#include "page_fetch.h"

#include "atoll/abi/process.h"

namespace atoll_os::servers::mm {
namespace {

Result<void> refuse(SliceError* refusal, Error error, const char* reason) {
  *refusal = {error, reason};
  return Err(error);
}

bool known(FetchKind kind) {
  return kind == FetchKind::kHello || kind == FetchKind::kFetch || kind == FetchKind::kPull ||
         kind == FetchKind::kDone;
}

bool carries_pages(FetchKind kind) {
  return kind == FetchKind::kFetch || kind == FetchKind::kPull;
}

// Pages a process may have: in user space, not the ProcessStart page (pm's, never fetched).
bool fetchable(uint64_t start, uint64_t pages) {
  if (start % kSlicePageBytes != 0 || start >= abi::kUserSpaceEnd) return false;
  if (pages > (abi::kUserSpaceEnd - start) / kSlicePageBytes) return false;
  uint64_t end = start + pages * kSlicePageBytes;
  return end <= abi::kProcessStartAddress || start > abi::kProcessStartAddress;
}

}  // namespace

FetchRequest fetch_request(FetchKind kind, uint64_t migration_id, uint64_t pid, uint64_t address,
                           uint64_t count, uint64_t wait_ns) {
  return {kFetchMagic, kFetchVersion, kind, migration_id, pid, address, count, wait_ns};
}

FetchReply fetch_reply(FetchKind kind, Error error, uint64_t start, uint32_t pages) {
  return {kFetchMagic, kFetchVersion, kind, static_cast<int32_t>(error), pages, start};
}

Result<void> check_request(const FetchRequest& request, SliceError* refusal) {
  if (request.magic != kFetchMagic || request.version != kFetchVersion) {
    return refuse(refusal, Error::kBadFormat, "not a page-fetch request");
  }
  if (!known(request.kind)) return refuse(refusal, Error::kBadFormat, "unknown request kind");
  if (!carries_pages(request.kind)) return success();
  if (request.count == 0 || request.count > kFetchMaxPages) {
    return refuse(refusal, Error::kBadFormat, "a page count out of bounds");
  }
  // kPull's address is only where to go on from.
  if (!fetchable(request.address, request.kind == FetchKind::kFetch ? request.count : 1)) {
    return refuse(refusal, Error::kOutOfRange, "a page address outside user space");
  }
  return success();
}

Result<void> check_reply(const FetchReply& reply, const FetchRequest& request,
                         SliceError* refusal) {
  if (reply.magic != kFetchMagic || reply.version != kFetchVersion) {
    return refuse(refusal, Error::kBadFormat, "not a page-fetch reply");
  }
  if (reply.kind != request.kind) {
    return refuse(refusal, Error::kBadFormat, "a reply to another request");
  }
  if (reply.error != 0 || !carries_pages(request.kind)) {
    if (reply.pages != 0) return refuse(refusal, Error::kBadFormat, "pages where none belong");
    if (reply.error != 0) {
      return refuse(refusal, static_cast<Error>(reply.error), "the source refused the request");
    }
    return success();
  }
  if (reply.pages == 0 || reply.pages > request.count || !fetchable(reply.start, reply.pages)) {
    return refuse(refusal, Error::kBadFormat, "a reply's pages are out of bounds");
  }
  if (request.kind == FetchKind::kFetch && reply.start != request.address) {
    return refuse(refusal, Error::kBadFormat, "a reply without the page asked for");
  }
  return success();
}

}  // namespace atoll_os::servers::mm
