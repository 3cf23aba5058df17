// The two ends of a residual dependency (lazy and postcopy migrations, docs/strategies.md):
// on the source, the pages mm keeps for a migrated process in a holder task of its own until
// the destination has fetched them all or needs them no more; on the destination, the spaces
// whose pages are still at the source. Both tables live in MemoryService, under mm's space
// lock; the threads that move the pages (lazy_link.cpp) drop the lock while they do.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/mm.h"
#include "page_map.h"

namespace atoll_os::servers::mm {

/// Residual dependencies a source serves at once, and lazily migrated spaces a destination
/// holds at once.
inline constexpr size_t kMaxResiduals = 4;
inline constexpr size_t kMaxLazySpaces = 4;

/// Source side: what mm keeps for one migration.
struct Residual {
  bool used = false;
  protocols::mm::ResidualState state = protocols::mm::ResidualState::kNone;
  uint64_t migration_id = 0;
  uint64_t pid = 0;
  abi::Handle holder = abi::kNoHandle;  // a task of mm's without threads holding the pages
  PageMap map;                          // the pages the holder still has
  uint64_t served = 0;
  uint64_t remote_faults = 0;
  uint64_t remote_fault_ns = 0;
  uint64_t started_ns = 0;
  uint64_t ended_ns = 0;
  // No more word can come from the destination (its link closed, or the migration was
  // undone): the counts are final. status() says kDone only then.
  bool final = false;
};

class ResidualTable {
 public:
  /// A new entry serving `map` from `holder`; a finished entry's slot is reused, the oldest
  /// first. kBusy when kMaxResiduals are serving.
  Result<Residual*> open(uint64_t migration_id, uint64_t pid, abi::Handle holder,
                         const PageMap& map, uint64_t now_ns);
  Residual* find(uint64_t migration_id);
  /// Marks `residual` done at `now_ns` and returns its holder for the caller to destroy
  /// (kNoHandle if it was done already).
  abi::Handle finish(Residual& residual, uint64_t now_ns);
  protocols::mm::ResidualStatus status(uint64_t migration_id, uint64_t now_ns);
  size_t serving() const;

 private:
  Residual entries_[kMaxResiduals];
};

/// Destination side: one space whose pages are still (partly) at the source.
struct LazySpace {
  bool used = false;
  bool push = false;     // postcopy: pull the rest in the background...
  bool pushing = false;  // ...once the process runs here (its first remote fault)
  bool ending = false;   // the process ended: tell the source, then forget it
  bool broken = false;   // the source failed us: every remote fault is refused
  bool store = false;    // flush, eager-dirty: source_ip is the page store's, not the source's
  uint64_t pid = 0;
  uint64_t migration_id = 0;
  uint32_t source_ip = 0;             // network byte order
  abi::Handle task = abi::kNoHandle;  // mm's own handle, to install the pages
  PageMap map;                        // the pages still at the source
  uint64_t remote_faults = 0;
  uint64_t remote_fault_ns = 0;
  uint64_t cursor = 0;  // postcopy: where the background stream goes on from
};

class LazyTable {
 public:
  /// Takes a slot for `pid` (kBusy if none is free, kAlreadyExists if it has one).
  Result<size_t> open(uint64_t pid, uint64_t migration_id, uint32_t source_ip, bool push,
                      abi::Handle task, const PageRun* runs, size_t run_count);
  /// The slot of `pid` still in use (and not ending), or kMaxLazySpaces.
  size_t find(uint64_t pid) const;
  LazySpace& slot(size_t index) { return entries_[index]; }
  const LazySpace& slot(size_t index) const { return entries_[index]; }
  /// Frees a slot; returns its task handle for the caller to close.
  abi::Handle close(size_t index);

 private:
  LazySpace entries_[kMaxLazySpaces];
};

}  // namespace atoll_os::servers::mm
