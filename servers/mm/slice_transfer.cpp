// Memory slices in and out: scanning a frozen space for its pages, writing them in runs,
// and checking and installing what arrives.
#include "slice_transfer.h"

#include "atoll/abi/process.h"

namespace atoll_os::servers::mm {
namespace {

constexpr uint64_t kPage = kSlicePageBytes;

// A range of the space whose present pages are sent: a region, or the ProcessStart page.
struct ScanRange {
  uint64_t start;
  uint64_t end;
  uint32_t flags;
};

// The ranges of `space`: the ProcessStart page first, then each region.
size_t scan_ranges(const AddressSpace& space, ScanRange (&ranges)[kMaxRegions + 1]) {
  ranges[0] = {abi::kProcessStartAddress, abi::kProcessStartAddress + kPage, abi::kVmRead};
  for (size_t i = 0; i < space.region_count(); ++i) {
    const Region& region = space.region(i);
    ranges[i + 1] = {region.start, region.end, region.flags};
  }
  return space.region_count() + 1;
}

// Walks the present pages of the ranges in order, kernel bitmap chunk by chunk, and
// groups them into runs of at most kMaxRunPages.
class RunScanner {
 public:
  /// `dirty`: walks the pages dirtied since the last take (and clears their dirty bits)
  /// instead of the present ones.
  RunScanner(MemoryKernel& kernel, abi::Handle task, const ScanRange* ranges, size_t count,
             const SendScratch& scratch, bool dirty = false)
      : kernel_(kernel),
        task_(task),
        ranges_(ranges),
        count_(count),
        scratch_(scratch),
        dirty_(dirty) {
    if (count_ != 0) address_ = ranges_[0].start;
  }

  struct Position {
    size_t range;
    uint64_t address;
  };
  Position position() const { return {range_, address_}; }
  void seek(Position position) {
    range_ = position.range;
    address_ = position.address;
    chunk_pages_ = 0;
  }

  // The next run; false when every range is done.
  Result<bool> next(PageRun& run) {
    while (range_ < count_) {
      const ScanRange& range = ranges_[range_];
      if (address_ >= range.end) {
        if (++range_ < count_) address_ = ranges_[range_].start;
        continue;
      }
      if (!TRY(present(address_))) {
        address_ += kPage;
        continue;
      }
      run = {address_, 0, range.flags};
      while (address_ < range.end && run.pages < kMaxRunPages && TRY(present(address_))) {
        ++run.pages;
        address_ += kPage;
      }
      return true;
    }
    return false;
  }

 private:
  // Whether the page at `address` (inside ranges_[range_]) is present; queries the kernel
  // for the chunk starting there when it is not in the current one.
  Result<bool> present(uint64_t address) {
    if (chunk_pages_ == 0 || address < chunk_start_ ||
        address >= chunk_start_ + chunk_pages_ * kPage) {
      uint64_t left = (ranges_[range_].end - address) / kPage;
      chunk_start_ = address;
      chunk_pages_ = left < scratch_.bitmap_pages ? left : scratch_.bitmap_pages;
      if (dirty_) {
        TRY(kernel_.take_dirty(task_, chunk_start_, chunk_pages_, scratch_.bitmap));
      } else {
        TRY(kernel_.query(task_, chunk_start_, chunk_pages_, scratch_.bitmap));
      }
    }
    uint64_t index = (address - chunk_start_) / kPage;
    return (scratch_.bitmap[index / 64] >> (index % 64) & 1) != 0;
  }

  MemoryKernel& kernel_;
  abi::Handle task_;
  const ScanRange* ranges_;
  size_t count_;
  const SendScratch& scratch_;
  bool dirty_;
  size_t range_ = 0;
  uint64_t address_ = 0;
  uint64_t chunk_start_ = 0;
  uint64_t chunk_pages_ = 0;
};

Error refuse(SliceError* refusal, Error error, const char* reason) {
  *refusal = {error, reason};
  return error;
}

// One run: its record, then its pages straight from the task's frames.
Result<void> send_run(MemoryKernel& kernel, abi::Handle task, const PageRun& run, SliceSink& sink,
                      SliceError* refusal) {
  Result<const uint8_t*> bytes = kernel.borrow(SliceWindow::kSend, task, run.start, run.pages);
  if (!bytes.ok()) return Err(refuse(refusal, bytes.error(), "cannot map the process's pages"));
  Result<void> written = sink.write(&run, sizeof(run));
  if (written.ok()) written = sink.write(*bytes, run.pages * kPage);
  kernel.release(SliceWindow::kSend, run.pages);
  if (!written.ok()) return Err(refuse(refusal, written.error(), "the slice connection failed"));
  return success();
}

// What the first scan found.
struct Census {
  SlicePrologue prologue;
  size_t stored;  // runs in scratch.runs
  bool overflowed;
  RunScanner::Position resume;  // where the runs beyond the stored ones begin
};

Result<Census> take_census(RunScanner& scanner, const AddressSpace& space,
                           const SendScratch& scratch) {
  Census census{{kSliceFormat, static_cast<uint32_t>(space.region_count()), 0, 0, 0, 0},
                0,
                false,
                scanner.position()};
  PageRun run;
  while (TRY(scanner.next(run))) {
    if (census.stored < scratch.run_capacity) {
      scratch.runs[census.stored++] = run;
      census.resume = scanner.position();
    } else {
      census.overflowed = true;
    }
    ++census.prologue.run_count;
    if (run.start == abi::kProcessStartAddress) {
      census.prologue.start_pages = 1;
    } else {
      census.prologue.page_count += run.pages;
    }
  }
  return census;
}

// Reads and adds the regions of a slice to `space`, with add_region's checks.
Result<void> receive_regions(const MemoryService& modules, AddressSpace& space, uint32_t count,
                             SliceSource& source, SliceError* refusal) {
  WireRegion regions[kMaxRegions];
  if (Result<void> read = source.read_exact(regions, count * sizeof(WireRegion)); !read.ok()) {
    return Err(refuse(refusal, read.error(), "the slice ended inside its regions"));
  }
  for (uint32_t i = 0; i < count; ++i) {
    Result<protocols::mm::RegionRequest> request = decode_region(space.pid(), regions[i]);
    if (!request.ok()) return Err(refuse(refusal, request.error(), "a region is malformed"));
    uint64_t module_size = request->kind == protocols::mm::RegionKind::kImage
                               ? modules.module_size(request->module)
                               : 0;
    if (Result<void> added = space.add_region(*request, module_size); !added.ok()) {
      return Err(refuse(refusal, added.error(), "a region fails the checks of add_region"));
    }
  }
  return success();
}

// Unmaps the pages of `run` an earlier round installed; how many there were.
Result<uint64_t> clear_for_replace(MemoryKernel& kernel, abi::Handle task, const PageRun& run,
                                   SliceError* refusal) {
  uint64_t bitmap[kMaxRunPages / 64] = {};
  Result<uint64_t> present = kernel.query(task, run.start, run.pages, bitmap);
  if (!present.ok()) return Err(refuse(refusal, present.error(), "cannot query the pages"));
  if (*present != 0) kernel.unmap(task, run.start, run.pages);
  return *present;
}

// Reads one run's pages straight into fresh frames and maps them into the task.
Result<void> receive_run(MemoryKernel& kernel, abi::Handle task, const PageRun& run,
                         SliceSource& source, SliceError* refusal) {
  Result<uint8_t*> bytes = kernel.stage(SliceWindow::kReceive, run.pages);
  if (!bytes.ok()) return Err(refuse(refusal, bytes.error(), "no frames for the pages"));
  Result<void> done = source.read_exact(*bytes, run.pages * kPage);
  if (!done.ok()) {
    kernel.release(SliceWindow::kReceive, run.pages);
    return Err(refuse(refusal, done.error(), "the slice ended inside a page run"));
  }
  done = kernel.install(SliceWindow::kReceive, task, run.start, run.pages, run.flags);
  kernel.release(SliceWindow::kReceive, run.pages);
  if (done.error() == Error::kAlreadyExists) {
    return Err(refuse(refusal, Error::kBadFormat, "a page was sent twice"));
  }
  if (!done.ok()) return Err(refuse(refusal, done.error(), "cannot map the received pages"));
  return success();
}

// Receives the runs; for an incremental slice, how many of its region pages replaced pages
// already there (they are not counted again).
Result<uint64_t> receive_runs(MemoryKernel& kernel, const SlicePrologue& prologue,
                              const AddressSpace& space, abi::Handle task, SliceSource& source,
                              RemoteMapOut* map, RunTally& tally, SliceError* refusal) {
  uint64_t replaced = 0;
  while (tally.runs < prologue.run_count) {
    PageRun run;
    if (Result<void> read = source.read_exact(&run, sizeof(run)); !read.ok()) {
      return Err(refuse(refusal, read.error(), "the slice ended before a page run"));
    }
    TRY(check_run(run, prologue, space, tally, refusal));
    const bool start_page = run.start == abi::kProcessStartAddress;
    const bool elsewhere = (run.flags & kRunInStore) != 0 || is_map(prologue.mode);
    if (elsewhere && !start_page) {
      if (map == nullptr || map->count == map->capacity) {
        return Err(refuse(refusal, Error::kOutOfRange, "the page map is too scattered to hold"));
      }
      map->runs[map->count++] = {run.start, run.pages, run.flags & ~kRunInStore};
      continue;
    }
    if (prologue.mode == kSliceIncremental) {
      uint64_t there = TRY(clear_for_replace(kernel, task, run, refusal));
      if (!start_page) replaced += there;
    }
    TRY(receive_run(kernel, task, run, source, refusal));
  }
  if (tally.pages != prologue.page_count || tally.start_pages != prologue.start_pages) {
    return Err(refuse(refusal, Error::kBadFormat, "fewer pages than the prologue announced"));
  }
  return replaced;
}

// An incremental slice's regions must be the ones the first round brought.
Result<void> check_same_regions(const AddressSpace& space, uint32_t count, SliceSource& source,
                                SliceError* refusal) {
  WireRegion regions[kMaxRegions];
  if (Result<void> read = source.read_exact(regions, count * sizeof(WireRegion)); !read.ok()) {
    return Err(refuse(refusal, read.error(), "the slice ended inside its regions"));
  }
  if (count != space.region_count()) {
    return Err(refuse(refusal, Error::kBusy, "the regions changed between rounds"));
  }
  for (uint32_t i = 0; i < count; ++i) {
    WireRegion had = encode_region(space.region(i));
    if (__builtin_memcmp(&had, &regions[i], sizeof(had)) != 0) {
      return Err(refuse(refusal, Error::kBusy, "the regions changed between rounds"));
    }
  }
  return success();
}

// Leaves the task as prepare_receive found it: without any page in the slice's ranges.
void undo_receive(MemoryKernel& kernel, const AddressSpace& space, abi::Handle task) {
  ScanRange ranges[kMaxRegions + 1];
  size_t count = scan_ranges(space, ranges);
  for (size_t i = 0; i < count; ++i) {
    kernel.unmap(task, ranges[i].start, (ranges[i].end - ranges[i].start) / kPage);
  }
}

}  // namespace

Result<uint64_t> receive_memory_slice(MemoryKernel& kernel, const MemoryService& modules,
                                      AddressSpace& space, abi::Handle task, uint64_t body_bytes,
                                      SliceSource& source, SliceError* refusal, RemoteMapOut* map) {
  SlicePrologue prologue;
  if (Result<void> read = source.read_exact(&prologue, sizeof(prologue)); !read.ok()) {
    return Err(refuse(refusal, read.error(), "the slice ended inside its prologue"));
  }
  const bool incremental = prologue.mode == kSliceIncremental;
  const bool filled = space.region_count() != 0 || space.resident_pages() != 0;
  if (incremental != filled) {
    return Err(refuse(refusal, Error::kAlreadyExists,
                      incremental ? "a later round for a space without a first"
                                  : "the prepared space is not empty"));
  }
  uint64_t room = space.has_room(0) ? space.page_quota() - space.resident_pages() : 0;
  TRY(check_prologue(prologue, body_bytes, incremental ? space.page_quota() : room, refusal));
  if (incremental) {
    TRY(check_same_regions(space, prologue.region_count, source, refusal));
  } else {
    TRY(receive_regions(modules, space, prologue.region_count, source, refusal));
  }
  StoreNote note{};
  if (prologue.mode == kSliceStore) {
    if (Result<void> read = source.read_exact(&note, sizeof(note)); !read.ok()) {
      return Err(refuse(refusal, read.error(), "the slice ended inside its store note"));
    }
    TRY(check_store_note(note, prologue, body_bytes, refusal));
  }
  RunTally tally;
  Result<uint64_t> replaced =
      receive_runs(kernel, prologue, space, task, source, map, tally, refusal);
  Error error = replaced.ok() ? Error::kOk : replaced.error();
  if (replaced.ok() && tally.stored != note.stored_pages) {
    error = refuse(refusal, Error::kBadFormat, "fewer stored pages than the note says");
  }
  if (error != Error::kOk) {
    if (!incremental) undo_receive(kernel, space, task);
    return Err(error);
  }
  if (map != nullptr) {
    map->mode = prologue.mode;
    map->store_ip = note.store_ip;
  }
  if (is_map(prologue.mode)) return prologue.start_pages;
  uint64_t added = prologue.page_count - note.stored_pages - *replaced;
  if (!space.has_room(added)) {
    return Err(refuse(refusal, Error::kOutOfMemory, "the process needs more pages than its quota"));
  }
  space.note_received(added);
  return prologue.page_count - note.stored_pages + prologue.start_pages;
}

namespace {

// Takes (and so clears) the dirty bits of every range: later rounds count from here.
Result<void> clear_dirty(MemoryKernel& kernel, abi::Handle task, const ScanRange* ranges,
                         size_t count, const SendScratch& scratch) {
  for (size_t i = 0; i < count; ++i) {
    for (uint64_t at = ranges[i].start; at < ranges[i].end;) {
      uint64_t left = (ranges[i].end - at) / kPage;
      uint64_t pages = left < scratch.bitmap_pages ? left : scratch.bitmap_pages;
      TRY(kernel.take_dirty(task, at, pages, scratch.bitmap));
      at += pages * kPage;
    }
  }
  return success();
}

// The runs of the census beyond those stored, found by scanning again (a frozen space only).
Result<void> send_overflow(MemoryKernel& kernel, abi::Handle task, RunScanner& scanner,
                           const Census& census, SliceSink& sink, uint64_t pages,
                           uint64_t& runs_sent, uint64_t& pages_sent, SliceError* refusal) {
  scanner.seek(census.resume);
  PageRun run;
  for (;;) {
    Result<bool> found = scanner.next(run);
    if (!found.ok()) return Err(refuse(refusal, found.error(), "cannot query the pages"));
    if (!*found) return success();
    // A frozen process does not change; a space that does would overrun the body.
    if (runs_sent == census.prologue.run_count || run.pages > pages - pages_sent) {
      return success();
    }
    TRY(send_run(kernel, task, run, sink, refusal));
    ++runs_sent;
    pages_sent += run.pages;
  }
}

// A map slice lists the region runs: only the ProcessStart page carries its bytes.
Result<void> send_map(MemoryKernel& kernel, abi::Handle task, const Census& census,
                      const SendScratch& scratch, SliceSink& sink, SliceError* refusal) {
  for (size_t i = 0; i < census.stored; ++i) {
    const PageRun& run = scratch.runs[i];
    if (run.start == abi::kProcessStartAddress) {
      TRY(send_run(kernel, task, run, sink, refusal));
    } else if (Result<void> written = sink.write(&run, sizeof(run)); !written.ok()) {
      return Err(refuse(refusal, written.error(), "the slice connection failed"));
    }
  }
  return success();
}

// Saves one run's pages (straight from the task's frames) through `saver`.
Result<void> save_run(MemoryKernel& kernel, abi::Handle task, const PageRun& run, PageSaver& saver,
                      SliceError* refusal) {
  Result<const uint8_t*> bytes = kernel.borrow(SliceWindow::kSend, task, run.start, run.pages);
  if (!bytes.ok()) return Err(refuse(refusal, bytes.error(), "cannot map the process's pages"));
  Result<void> saved = saver.save(run, *bytes);
  kernel.release(SliceWindow::kSend, run.pages);
  if (!saved.ok()) return Err(refuse(refusal, saved.error(), "the page store refused the pages"));
  return success();
}

// The pieces a run splits into in a store slice: `mask` bit i set when page i is in the
// store; each piece is pages in a row of one kind.
uint64_t store_pieces(const PageRun& run, uint64_t mask) {
  uint64_t pieces = 0;
  for (uint32_t i = 0; i < run.pages; ++i) {
    if (i == 0 || ((mask >> i) & 1) != ((mask >> (i - 1)) & 1)) ++pieces;
  }
  return pieces;
}

// Which pages of each stored run go to the store (masks), and the store slice's counts:
// every page after a flush; after eager-dirty's save, those it saved and not dirtied since
// (taking the dirty bits). Returns the stored region pages; `runs` gets the pieces.
Result<uint64_t> mark_stored(MemoryKernel& kernel, abi::Handle task, const Census& census,
                             const SendScratch& scratch, const SendOptions& options, uint64_t& runs,
                             SliceError* refusal) {
  uint64_t stored = 0;
  runs = 0;
  for (size_t i = 0; i < census.stored; ++i) {
    const PageRun& run = scratch.runs[i];
    uint64_t all = run.pages == 64 ? ~uint64_t{0} : (uint64_t{1} << run.pages) - 1;
    uint64_t mask = 0;
    if (run.start == abi::kProcessStartAddress) {
      mask = 0;
    } else if (options.saver != nullptr) {
      TRY(save_run(kernel, task, run, *options.saver, refusal));
      mask = all;
    } else {
      uint64_t dirty = 0;
      if (Result<uint64_t> taken = kernel.take_dirty(task, run.start, run.pages, &dirty);
          !taken.ok()) {
        return Err(refuse(refusal, taken.error(), "cannot take the dirty bits"));
      }
      for (uint32_t p = 0; p < run.pages; ++p) {
        bool saved = options.saved->missing(run.start + p * kPage);
        if (saved && ((dirty >> p) & 1) == 0) mask |= uint64_t{1} << p;
      }
    }
    scratch.masks[i] = mask;
    stored += static_cast<uint64_t>(__builtin_popcountll(mask));
    runs += store_pieces(run, mask);
  }
  return stored;
}

// A store slice's runs: the pieces in the store as records flagged kRunInStore, the others
// with their bytes.
Result<void> send_store_runs(MemoryKernel& kernel, abi::Handle task, const Census& census,
                             const SendScratch& scratch, SliceSink& sink, SliceError* refusal) {
  for (size_t i = 0; i < census.stored; ++i) {
    const PageRun& run = scratch.runs[i];
    const uint64_t mask = scratch.masks[i];
    for (uint32_t at = 0; at < run.pages;) {
      const bool in_store = ((mask >> at) & 1) != 0;
      uint32_t end = at + 1;
      while (end < run.pages && (((mask >> end) & 1) != 0) == in_store) ++end;
      PageRun piece{run.start + at * kPage, end - at, run.flags};
      if (!in_store) {
        TRY(send_run(kernel, task, piece, sink, refusal));
      } else {
        piece.flags |= kRunInStore;
        if (Result<void> written = sink.write(&piece, sizeof(piece)); !written.ok()) {
          return Err(refuse(refusal, written.error(), "the slice connection failed"));
        }
      }
      at = end;
    }
  }
  return success();
}

// flush and eager-dirty's frozen slice (kSliceStore), the census taken.
Result<SendTotals> send_store_slice(MemoryKernel& kernel, const AddressSpace& space,
                                    abi::Handle task, const SendScratch& scratch, Census& census,
                                    SliceSink& sink, SliceError* refusal,
                                    const SendOptions& options) {
  if (scratch.masks == nullptr || options.store_ip == 0 ||
      (options.saver == nullptr) == (options.saved == nullptr)) {
    return Err(refuse(refusal, Error::kInvalidArgument, "a store slice needs its store"));
  }
  SlicePrologue& prologue = census.prologue;
  uint64_t runs = 0;
  uint64_t stored = TRY(mark_stored(kernel, task, census, scratch, options, runs, refusal));
  prologue.run_count = runs;
  StoreNote note{options.store_ip, 0, stored};
  uint64_t carried = prologue.page_count - stored + prologue.start_pages;
  Result<uint64_t> body = slice_body_bytes(prologue.region_count, prologue.run_count, carried);
  if (!body.ok()) return Err(refuse(refusal, body.error(), "the space is too large to send"));
  if (Result<void> begun = sink.begin(*body + sizeof(note)); !begun.ok()) {
    return Err(refuse(refusal, begun.error(), "the slice connection failed"));
  }
  WireRegion regions[kMaxRegions];
  for (size_t i = 0; i < space.region_count(); ++i) regions[i] = encode_region(space.region(i));
  Result<void> written = sink.write(&prologue, sizeof(prologue));
  if (written.ok()) written = sink.write(regions, space.region_count() * sizeof(WireRegion));
  if (written.ok()) written = sink.write(&note, sizeof(note));
  if (!written.ok()) return Err(refuse(refusal, written.error(), "the slice connection failed"));
  TRY(send_store_runs(kernel, task, census, scratch, sink, refusal));
  return SendTotals{*body + sizeof(note), carried};
}

}  // namespace

Result<uint64_t> save_memory_to_store(MemoryKernel& kernel, const AddressSpace& space,
                                      abi::Handle task, const SendScratch& scratch,
                                      PageSaver& saver, PageMap& saved, SliceError* refusal) {
  ScanRange ranges[kMaxRegions + 1];
  const size_t range_count = scan_ranges(space, ranges);
  saved.clear();
  if (Result<void> cleared = clear_dirty(kernel, task, ranges, range_count, scratch);
      !cleared.ok()) {
    return Err(refuse(refusal, cleared.error(), "cannot take the dirty bits"));
  }
  RunScanner scanner(kernel, task, ranges, range_count, scratch);
  Result<Census> census = take_census(scanner, space, scratch);
  if (!census.ok()) return Err(refuse(refusal, census.error(), "cannot query the pages"));
  if (census->overflowed) {
    return Err(refuse(refusal, Error::kOutOfRange, "too many scattered pages for this strategy"));
  }
  uint64_t pages = 0;
  for (size_t i = 0; i < census->stored; ++i) {
    const PageRun& run = scratch.runs[i];
    if (run.start == abi::kProcessStartAddress) continue;  // pm's page: it travels in the slice
    if (Result<void> added = saved.add(run); !added.ok()) {
      return Err(refuse(refusal, added.error(), "the page map is too scattered to hold"));
    }
    TRY(save_run(kernel, task, run, saver, refusal));
    pages += run.pages;
  }
  return pages;
}

Result<SendTotals> send_memory_slice(MemoryKernel& kernel, const AddressSpace& space,
                                     abi::Handle task, const SendScratch& scratch, SliceSink& sink,
                                     SliceError* refusal, const SendOptions& options) {
  ScanRange ranges[kMaxRegions + 1];
  const size_t range_count = scan_ranges(space, ranges);
  if (options.clear_dirty_first) {
    if (Result<void> cleared = clear_dirty(kernel, task, ranges, range_count, scratch);
        !cleared.ok()) {
      return Err(refuse(refusal, cleared.error(), "cannot take the dirty bits"));
    }
  }
  RunScanner scanner(kernel, task, ranges, range_count, scratch, options.dirty_only);
  Result<Census> census = take_census(scanner, space, scratch);
  if (!census.ok()) return Err(refuse(refusal, census.error(), "cannot query the pages"));
  const bool map = is_map(options.mode);
  if (census->overflowed &&
      (options.running || options.dirty_only || map || options.mode == kSliceStore)) {
    // The scan cannot be repeated: a running space changes, dirty bits are taken once.
    return Err(refuse(refusal, Error::kOutOfRange, "too many scattered pages for this strategy"));
  }
  SlicePrologue& prologue = census->prologue;
  prologue.mode = options.mode;
  if (options.mode == kSliceStore) {
    return send_store_slice(kernel, space, task, scratch, *census, sink, refusal, options);
  }
  if (map) {
    if (options.keeper == nullptr)
      return Err(refuse(refusal, Error::kInvalidArgument, "no keeper"));
    for (size_t i = 0; i < census->stored; ++i) {
      if (scratch.runs[i].start == abi::kProcessStartAddress) continue;
      if (Result<void> kept = options.keeper->keep(scratch.runs[i]); !kept.ok()) {
        return Err(refuse(refusal, kept.error(), "cannot keep the pages at the source"));
      }
    }
  }
  uint64_t pages = prologue.page_count + prologue.start_pages;
  uint64_t carried = pages_with_bytes(prologue.mode, prologue.page_count, prologue.start_pages);
  Result<uint64_t> body = slice_body_bytes(prologue.region_count, prologue.run_count, carried);
  if (!body.ok()) return Err(refuse(refusal, body.error(), "the space is too large to send"));
  if (Result<void> begun = sink.begin(*body); !begun.ok()) {
    return Err(refuse(refusal, begun.error(), "the slice connection failed"));
  }
  WireRegion regions[kMaxRegions];
  for (size_t i = 0; i < space.region_count(); ++i) regions[i] = encode_region(space.region(i));
  Result<void> written = sink.write(&prologue, sizeof(prologue));
  if (written.ok()) written = sink.write(regions, space.region_count() * sizeof(WireRegion));
  if (!written.ok()) return Err(refuse(refusal, written.error(), "the slice connection failed"));
  if (map) {
    TRY(send_map(kernel, task, *census, scratch, sink, refusal));
    return SendTotals{*body, carried};
  }

  uint64_t runs_sent = 0;
  uint64_t pages_sent = 0;
  for (size_t i = 0; i < census->stored; ++i, ++runs_sent) {
    TRY(send_run(kernel, task, scratch.runs[i], sink, refusal));
    pages_sent += scratch.runs[i].pages;
  }
  if (census->overflowed) {
    TRY(send_overflow(kernel, task, scanner, *census, sink, pages, runs_sent, pages_sent, refusal));
  }
  if (runs_sent != prologue.run_count || pages_sent != pages) {
    return Err(refuse(refusal, Error::kBusy, "the space changed while it was sent"));
  }
  return SendTotals{*body, pages_sent};
}

}  // namespace atoll_os::servers::mm
