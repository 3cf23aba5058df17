// The memory slice's wire format: what mm sends to mm on the destination of a migration, after
// the SliceHeader (servers/lib/slice_channel.h), and the checks a receiver makes on it.
//
// Body, little-endian, fixed layouts:
//   SlicePrologue
//   WireRegion × region_count        the space's regions, as add_region would take them
//   { PageRun, run.pages × 4096 bytes } × run_count
// A run is present pages in a row of one region (flags: the region's), or the one ProcessStart
// page (kVmRead, not a region). The receiver checks every field before it trusts it.
// The prologue's mode says what the slice does (docs/strategies.md): kWhole fills an empty
// space (eager, precopy's first round); kIncremental carries the same regions again and pages
// that replace earlier rounds' (precopy); kMap and kMapPush carry the page map only (lazy,
// postcopy): its runs
// name the pages left at the source and have no bytes, except the ProcessStart page's.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "address_space.h"
#include "atoll/protocols/mm.h"
#include "atoll/result.h"

namespace atoll_os::servers::mm {

inline constexpr uint32_t kSliceFormat = 1;
inline constexpr uint64_t kSlicePageBytes = 4096;
/// The longest run: what one share into the slice window and one stream write move.
inline constexpr uint32_t kMaxRunPages = 64;
/// Pages a slice may carry at all, whatever the quota says (1 TiB): bounds every sum.
inline constexpr uint64_t kMaxSlicePages = 1ull << 28;

struct SlicePrologue {
  uint32_t format;        // kSliceFormat
  uint32_t region_count;  // at most kMaxRegions
  uint64_t run_count;
  uint64_t page_count;   // pages of regions (counted against the quota)
  uint32_t start_pages;  // 1 if the ProcessStart page follows among the runs, else 0
  uint32_t mode;         // SliceMode
};
static_assert(sizeof(SlicePrologue) == 32);

/// kSliceMapPush: a map slice whose pages the destination pulls on in the background.
/// kSliceStore (flush, eager-dirty): a StoreNote follows the regions; a run whose flags have
/// kRunInStore has no bytes (its pages are in the page store the note names), the others
/// carry theirs as in kSliceWhole.
enum SliceMode : uint32_t {
  kSliceWhole = 0,
  kSliceIncremental = 1,
  kSliceMap = 2,
  kSliceMapPush = 3,
  kSliceStore = 4,
};

/// kSliceStore: a run's pages are in the page store (a flag above every abi::VmFlags bit).
inline constexpr uint32_t kRunInStore = 1u << 31;

/// kSliceStore: where the pages marked kRunInStore are, after the regions.
struct StoreNote {
  uint32_t store_ip;      // network byte order, not 0
  uint32_t reserved;      // 0
  uint64_t stored_pages;  // pages of the kRunInStore runs
};
static_assert(sizeof(StoreNote) == 16);

/// Whether a slice of `mode` leaves pages elsewhere (a page map the receiver keeps).
constexpr bool has_page_map(uint32_t mode) {
  return mode == kSliceMap || mode == kSliceMapPush || mode == kSliceStore;
}

constexpr bool is_map(uint32_t mode) {
  return mode == kSliceMap || mode == kSliceMapPush;
}

/// The pages whose bytes travel in a slice of `mode` with these counts.
constexpr uint64_t pages_with_bytes(uint32_t mode, uint64_t region_pages, uint64_t start_pages) {
  return is_map(mode) ? start_pages : region_pages + start_pages;
}

struct WireRegion {
  uint64_t start;
  uint64_t end;
  uint64_t data_vaddr;
  uint64_t data_offset;
  uint64_t data_size;
  uint32_t flags;
  uint32_t kind;  // protocols::mm::RegionKind
  uint32_t module;
  uint32_t reserved;
};
static_assert(sizeof(WireRegion) == 56);

struct PageRun {
  uint64_t start;  // page-aligned
  uint32_t pages;  // 1..kMaxRunPages
  uint32_t flags;  // abi::VmFlags: the region's, or kVmRead for the ProcessStart page
};
static_assert(sizeof(PageRun) == 16);

/// A refusal of a slice: the error for the ack and the reason (a string literal).
struct SliceError {
  Error error;
  const char* reason;
};

/// Bytes of a body with these counts; kOutOfRange if the sum overflows.
Result<uint64_t> slice_body_bytes(uint64_t region_count, uint64_t run_count, uint64_t pages);

WireRegion encode_region(const Region& region);
/// The add_region request for a received region of `pid`; kBadFormat if end <= start or the
/// kind is unknown (add_region checks the rest).
Result<protocols::mm::RegionRequest> decode_region(uint64_t pid, const WireRegion& wire);

/// kSliceStore: checks a note against its prologue and the header's body_bytes (the pages
/// with bytes are the prologue's pages less the stored ones); on refusal `*refusal` says why.
Result<void> check_store_note(const StoreNote& note, const SlicePrologue& prologue,
                              uint64_t body_bytes, SliceError* refusal);

/// Checks a prologue against the header's body_bytes and the receiving space's quota (for
/// kSliceIncremental: the whole quota, the pages replacing earlier ones). On refusal,
/// `*refusal` says why.
Result<void> check_prologue(const SlicePrologue& prologue, uint64_t body_bytes, uint64_t page_quota,
                            SliceError* refusal);

/// What a receiver has taken of the runs so far; check_run updates it.
struct RunTally {
  uint64_t runs = 0;
  uint64_t pages = 0;        // region pages
  uint64_t start_pages = 0;  // 0 or 1
  uint64_t stored = 0;       // kSliceStore: region pages of kRunInStore runs
};

/// Checks the next run of a slice: counts within the prologue's, address page-aligned and
/// wholly inside one region of `space` with that region's flags, or the ProcessStart page
/// once; kRunInStore only in a kSliceStore slice and not on the ProcessStart page. Counts
/// the run in `tally` when it passes.
Result<void> check_run(const PageRun& run, const SlicePrologue& prologue, const AddressSpace& space,
                       RunTally& tally, SliceError* refusal);

}  // namespace atoll_os::servers::mm
