// Sending and receiving a memory slice (memory_slice.h) over any byte stream, through the
// MemoryKernel seam: the logic of mm's migration threads, which host tests run.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "address_space.h"
#include "memory_service.h"
#include "memory_slice.h"
#include "page_map.h"

namespace atoll_os::servers::mm {

/// Where a slice's bytes go (a slice connection, on the node).
class SliceSink {
 public:
  /// Starts the slice: `body_bytes` will follow, exactly.
  virtual Result<void> begin(uint64_t body_bytes) = 0;
  virtual Result<void> write(const void* data, size_t length) = 0;

 protected:
  ~SliceSink() = default;
};

/// Where a slice's bytes come from.
class SliceSource {
 public:
  virtual Result<void> read_exact(void* out, size_t length) = 0;

 protected:
  ~SliceSource() = default;
};

/// The sender's working memory: runs found by the first scan (the rest is scanned again
/// while sending) and one vm_query bitmap chunk.
struct SendScratch {
  PageRun* runs;
  size_t run_capacity;
  uint64_t* bitmap;
  size_t bitmap_pages;        // a multiple of 64
  uint64_t* masks = nullptr;  // kSliceStore: run_capacity words (bit i: page i is in the store)
};

/// Where flush and eager-dirty write pages: the page store (mm: a PageStoreClient).
class PageSaver {
 public:
  /// Stores the `run.pages` pages at `bytes` (run.start onwards); all or none.
  virtual Result<void> save(const PageRun& run, const uint8_t* bytes) = 0;

 protected:
  ~PageSaver() = default;
};

/// Where a receiver puts the runs of a page map (kSliceMap).
struct RemoteMapOut {
  PageRun* runs;
  size_t capacity;
  size_t count;
  uint32_t mode;      // the slice's SliceMode, set once received
  uint32_t store_ip;  // kSliceStore: the page store holding the runs (network byte order)
};

/// Called for every region run a kSliceMap send lists (the pages it leaves at the source),
/// before the slice is written: the sender keeps them (mm's residual pages).
class MapKeeper {
 public:
  virtual Result<void> keep(const PageRun& run) = 0;

 protected:
  ~MapKeeper() = default;
};

/// What a send takes from the space: every present page (eager, precopy's first round) or
/// only the pages dirtied since the dirty bits were last taken (precopy's later rounds), and
/// whether the process runs meanwhile (its pages may then change between scan and send).
struct SendOptions {
  uint32_t mode = kSliceWhole;  // SliceMode of the slice
  bool dirty_only = false;
  bool clear_dirty_first = false;  // precopy's first round: later rounds count from here
  bool running = false;
  MapKeeper* keeper = nullptr;  // kSliceMap: required
  // kSliceStore: the store named in the note; with `saver` (flush) every present page is
  // saved there first and marked in the store; with `saved` (eager-dirty) the pages of that
  // map not dirtied since it was taken are marked in the store, the others carry bytes.
  uint32_t store_ip = 0;
  PageSaver* saver = nullptr;
  const PageMap* saved = nullptr;
};

struct SendTotals {
  uint64_t body_bytes;
  uint64_t pages;  // every page written, the ProcessStart page included
};

/// Sends `space` (a copy: its regions) of the frozen `task`: regions, then every present
/// page of them and the ProcessStart page, in runs. On failure `*refusal` says why.
/// With `options`: see SendOptions; a running process whose pages do not fit the scratch's
/// runs is refused (kOutOfRange), as the scan could not be repeated.
Result<SendTotals> send_memory_slice(MemoryKernel& kernel, const AddressSpace& space,
                                     abi::Handle task, const SendScratch& scratch, SliceSink& sink,
                                     SliceError* refusal, const SendOptions& options = {});

/// eager-dirty's live save, the process running: takes (clears) the dirty bits of every
/// range, then saves every present region page through `saver` and adds its runs to `saved`
/// (emptied first). Returns the pages saved; kOutOfRange if they do not fit the scratch's
/// runs or the map.
Result<uint64_t> save_memory_to_store(MemoryKernel& kernel, const AddressSpace& space,
                                      abi::Handle task, const SendScratch& scratch,
                                      PageSaver& saver, PageMap& saved, SliceError* refusal);

/// Receives a slice of `body_bytes` into `space` (a prepare_receive copy: empty, or for a
/// kSliceIncremental slice holding the earlier rounds) and `task`; returns the pages
/// installed (the ProcessStart page included) and counts the region pages resident in
/// `space`. On failure the task is left without any page of a kSliceWhole slice (an
/// incremental one's replaced pages are gone: the migration is aborted), and `*refusal` says
/// why. `modules` gives the boot module sizes.
/// A kSliceMap slice's runs (the pages left at the source) go to `map`; a map slice without
/// one, or with more runs than it holds, is refused.
Result<uint64_t> receive_memory_slice(MemoryKernel& kernel, const MemoryService& modules,
                                      AddressSpace& space, abi::Handle task, uint64_t body_bytes,
                                      SliceSource& source, SliceError* refusal,
                                      RemoteMapOut* map = nullptr);

}  // namespace atoll_os::servers::mm
