// Which pages of a lazily migrated space live elsewhere: on the destination, the pages still
// at the source; on the source, the pages it still keeps for the destination. Runs of at most
// 64 pages, one bit each, so a page is found by a binary search and a bit test.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/result.h"
#include "memory_slice.h"

namespace atoll_os::servers::mm {

/// Runs one map holds: a 64 MiB process in contiguous runs needs 256, scattered single
/// pages need one each.
inline constexpr size_t kMapRuns = 2048;
static_assert(kMaxRunPages <= 64, "a run's pages are one word of bits");

struct MapRun {
  uint64_t start;
  uint32_t pages;
  uint32_t flags;    // the region's
  uint64_t missing;  // bit i: the page at start + i * 4096 is still elsewhere
};

class PageMap {
 public:
  /// Adds `run`, all of its pages elsewhere. Runs come in any order but never overlap
  /// (kAlreadyExists); kOutOfRange when the map is full, kInvalidArgument for a bad run.
  Result<void> add(const PageRun& run);
  /// Whether the page holding `address` is elsewhere; its run's flags in `flags`.
  bool missing(uint64_t address, uint32_t* flags = nullptr) const;
  /// How many pages in a row from `page` (page-aligned) are elsewhere, at most `max`,
  /// within one run.
  uint32_t missing_from(uint64_t page, uint32_t max) const;
  /// Marks `pages` pages from `page` as arrived; how many of them were elsewhere.
  uint64_t arrive(uint64_t page, uint32_t pages);
  /// The first page still elsewhere at or after `from` (wrapping round), and how many in a
  /// row (at most `max`); false when none is.
  bool next_missing(uint64_t from, uint32_t max, uint64_t& page, uint32_t& pages) const;
  uint64_t left() const { return left_; }
  size_t run_count() const { return count_; }
  void clear() {
    count_ = 0;
    left_ = 0;
  }

 private:
  // The index of the run holding `address`, or count_.
  size_t find(uint64_t address) const;

  MapRun runs_[kMapRuns];
  size_t count_ = 0;
  uint64_t left_ = 0;
};

}  // namespace atoll_os::servers::mm
