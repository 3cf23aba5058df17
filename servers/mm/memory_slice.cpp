// The memory slice's wire format: sizes, region encoding and the receiver's checks.
#include "memory_slice.h"

#include "atoll/abi/process.h"

namespace atoll_os::servers::mm {
namespace {

using protocols::mm::RegionKind;
using protocols::mm::RegionRequest;

Result<void> refuse(SliceError* refusal, Error error, const char* reason) {
  *refusal = {error, reason};
  return Err(error);
}

Result<uint64_t> multiply_add(uint64_t total, uint64_t count, uint64_t size) {
  uint64_t product;
  if (__builtin_mul_overflow(count, size, &product) ||
      __builtin_add_overflow(total, product, &total)) {
    return Err(Error::kOutOfRange);
  }
  return total;
}

// The run starting at the ProcessStart page: exactly that page, read-only, once.
Result<void> check_start_run(const PageRun& run, const SlicePrologue& prologue, RunTally& tally,
                             SliceError* refusal) {
  if (run.pages != 1 || run.flags != abi::kVmRead) {
    return refuse(refusal, Error::kBadFormat, "the start page run is malformed");
  }
  if (tally.start_pages == prologue.start_pages) {
    return refuse(refusal, Error::kBadFormat, "a start page the prologue did not announce");
  }
  ++tally.start_pages;
  ++tally.runs;
  return success();
}

}  // namespace

Result<uint64_t> slice_body_bytes(uint64_t region_count, uint64_t run_count, uint64_t pages) {
  uint64_t total = sizeof(SlicePrologue);
  total = TRY(multiply_add(total, region_count, sizeof(WireRegion)));
  total = TRY(multiply_add(total, run_count, sizeof(PageRun)));
  return multiply_add(total, pages, kSlicePageBytes);
}

WireRegion encode_region(const Region& region) {
  return WireRegion{region.start,
                    region.end,
                    region.backing.vaddr,
                    region.backing.offset,
                    region.backing.size,
                    region.flags,
                    static_cast<uint32_t>(region.kind),
                    region.module,
                    0};
}

Result<RegionRequest> decode_region(uint64_t pid, const WireRegion& wire) {
  if (wire.end <= wire.start || wire.reserved != 0) return Err(Error::kBadFormat);
  if (wire.kind != static_cast<uint32_t>(RegionKind::kZero) &&
      wire.kind != static_cast<uint32_t>(RegionKind::kImage)) {
    return Err(Error::kBadFormat);
  }
  RegionRequest request{};
  request.pid = pid;
  request.start = wire.start;
  request.length = wire.end - wire.start;
  request.flags = wire.flags;
  request.kind = static_cast<RegionKind>(wire.kind);
  if (request.kind == RegionKind::kImage) {
    request.data_vaddr = wire.data_vaddr;
    request.data_offset = wire.data_offset;
    request.data_size = wire.data_size;
    request.module = wire.module;
  }
  return request;
}

Result<void> check_prologue(const SlicePrologue& prologue, uint64_t body_bytes, uint64_t page_quota,
                            SliceError* refusal) {
  if (prologue.format != kSliceFormat) {
    return refuse(refusal, Error::kNotSupported, "unknown memory slice format");
  }
  if (prologue.region_count > kMaxRegions || prologue.start_pages > 1 ||
      prologue.mode > kSliceStore || prologue.page_count > kMaxSlicePages) {
    return refuse(refusal, Error::kBadFormat, "memory slice prologue out of bounds");
  }
  uint64_t pages = prologue.page_count + prologue.start_pages;
  // Every run holds one page at least and kMaxRunPages at most.
  if (prologue.run_count > pages || prologue.run_count * kMaxRunPages < pages) {
    return refuse(refusal, Error::kBadFormat, "memory slice run count does not fit its pages");
  }
  if (prologue.page_count != 0 && prologue.region_count == 0) {
    return refuse(refusal, Error::kBadFormat, "memory slice has pages but no regions");
  }
  Result<uint64_t> expected =
      slice_body_bytes(prologue.region_count, prologue.run_count,
                       pages_with_bytes(prologue.mode, prologue.page_count, prologue.start_pages));
  // A store slice: between every page in the store and none (check_store_note is exact).
  const bool fits = prologue.mode == kSliceStore
                        ? expected.ok() && body_bytes >= sizeof(StoreNote) &&
                              body_bytes - sizeof(StoreNote) <= *expected
                        : expected.ok() && *expected == body_bytes;
  if (!fits) {
    return refuse(refusal, Error::kBadFormat, "memory slice length does not match its counts");
  }
  if (prologue.page_count > page_quota) {
    return refuse(refusal, Error::kOutOfMemory, "the process needs more pages than its quota");
  }
  return success();
}

Result<void> check_store_note(const StoreNote& note, const SlicePrologue& prologue,
                              uint64_t body_bytes, SliceError* refusal) {
  if (note.store_ip == 0 || note.reserved != 0 || note.stored_pages > prologue.page_count) {
    return refuse(refusal, Error::kBadFormat, "the slice's page store note is malformed");
  }
  uint64_t carried = prologue.page_count - note.stored_pages + prologue.start_pages;
  Result<uint64_t> expected = slice_body_bytes(prologue.region_count, prologue.run_count, carried);
  if (!expected.ok() || *expected + sizeof(StoreNote) != body_bytes) {
    return refuse(refusal, Error::kBadFormat, "memory slice length does not match its counts");
  }
  return success();
}

Result<void> check_run(const PageRun& given, const SlicePrologue& prologue,
                       const AddressSpace& space, RunTally& tally, SliceError* refusal) {
  const bool stored = (given.flags & kRunInStore) != 0;
  if (stored && (prologue.mode != kSliceStore || given.start == abi::kProcessStartAddress)) {
    return refuse(refusal, Error::kBadFormat, "a page run in the store outside a store slice");
  }
  PageRun run = given;
  run.flags &= ~kRunInStore;
  if (tally.runs == prologue.run_count) {
    return refuse(refusal, Error::kBadFormat, "more runs than the prologue announced");
  }
  if (run.start % kSlicePageBytes != 0 || run.pages == 0 || run.pages > kMaxRunPages) {
    return refuse(refusal, Error::kBadFormat, "a page run is misaligned or of a bad length");
  }
  if (run.start == abi::kProcessStartAddress) {
    return check_start_run(run, prologue, tally, refusal);
  }
  const Region* region = space.find(run.start);
  // run.start < kUserSpaceEnd inside a region and pages <= kMaxRunPages: no overflow.
  if (region == nullptr || run.start + run.pages * kSlicePageBytes > region->end) {
    return refuse(refusal, Error::kOutOfRange, "a page run lies outside the regions sent");
  }
  if (run.flags != region->flags) {
    return refuse(refusal, Error::kBadFormat, "a page run's flags differ from its region's");
  }
  if (run.pages > prologue.page_count - tally.pages) {
    return refuse(refusal, Error::kBadFormat, "more pages than the prologue announced");
  }
  tally.pages += run.pages;
  if (stored) tally.stored += run.pages;
  ++tally.runs;
  return success();
}

}  // namespace atoll_os::servers::mm
