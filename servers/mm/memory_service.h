// mm's request handlers and page-fault path over a table of address spaces; the kernel is
// reached through MemoryKernel so that host tests can run all of it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "address_space.h"
#include "atoll/abi/syscalls.h"
#include "atoll/protocols/mm.h"
#include "memory_slice.h"
#include "residual.h"

namespace atoll_os::servers::mm {

inline constexpr size_t kMaxSpaces = 256;
inline constexpr uint64_t kDefaultPageQuota = 98304;  // 384 MiB per process unless pm says
/// Sends whose status space_send_status still answers (migm polls the newest).
inline constexpr size_t kSendHistory = 8;

/// Where in mm's own address space a migration thread maps the pages it moves: one window
/// per thread (the sender's, the receiver's, each page-fetch link's on the destination, each
/// page server's on the source), kMaxRunPages pages each.
enum class SliceWindow : uint32_t {
  kSend = 0,
  kReceive = 1,
  kFetch0 = 2,                   // + lazy slot, kMaxLazySpaces of them
  kServe0 = 2 + kMaxLazySpaces,  // + page server, kPageServers of them
};
/// Threads serving pages to destinations (source side): one connection each.
inline constexpr uint32_t kPageServers = 3;
inline constexpr uint32_t kSliceWindows = 2 + kMaxLazySpaces + kPageServers;
constexpr SliceWindow window_at(SliceWindow first, uint32_t index) {
  return static_cast<SliceWindow>(static_cast<uint32_t>(first) + index);
}

/// The system calls mm's logic needs.
class MemoryKernel {
 public:
  /// Maps a fresh zeroed page at `page` of `task`.
  virtual Result<void> map_zeroed(abi::Handle task, uint64_t page, uint32_t flags) = 0;
  /// Maps a fresh page at `page` of `task` holding source[copy.source_offset, +length) at
  /// copy.page_offset and zeros elsewhere; the task never sees it half-filled.
  virtual Result<void> map_copy(abi::Handle task, uint64_t page, uint32_t flags,
                                const uint8_t* source, const PageCopy& copy) = 0;
  virtual void close(abi::Handle handle) = 0;
  virtual Result<abi::MemoryInfo> memory_info() = 0;

  // Migration (memory slices). Not needed by the fault path: kNotSupported unless overridden.

  /// Another handle to `task` with the same rights, for work done outside the space lock.
  virtual Result<abi::Handle> duplicate(abi::Handle task);
  /// Sets one bit per present page of [vaddr, +pages) of `task` in `bitmap`; how many.
  virtual Result<uint64_t> query(abi::Handle task, uint64_t vaddr, uint64_t pages,
                                 uint64_t* bitmap);
  /// Maps `pages` present pages of `task` from `vaddr` read-only at `window`; their bytes.
  virtual Result<const uint8_t*> borrow(SliceWindow window, abi::Handle task, uint64_t vaddr,
                                        uint64_t pages);
  /// Maps `pages` fresh zeroed writable pages at `window`; their bytes.
  virtual Result<uint8_t*> stage(SliceWindow window, uint64_t pages);
  /// Maps the first `pages` pages of `window` into `task` at `vaddr` with `flags` (shared:
  /// the task keeps the frames after release()).
  virtual Result<void> install(SliceWindow window, abi::Handle task, uint64_t vaddr, uint64_t pages,
                               uint32_t flags);
  /// Unmaps the first `pages` pages of `window`.
  virtual void release(SliceWindow window, uint64_t pages);
  /// Unmaps [vaddr, +pages) of `task`, what of it is mapped.
  virtual void unmap(abi::Handle task, uint64_t vaddr, uint64_t pages);
  /// Tells mm's migration thread that a send is queued.
  virtual Result<void> wake_sender();
  /// As query, for the pages dirtied since the last take; clears their dirty bits.
  virtual Result<uint64_t> take_dirty(abi::Handle task, uint64_t vaddr, uint64_t pages,
                                      uint64_t* bitmap);
  /// A task of mm's own, without threads or pager, to hold pages (a residual dependency).
  virtual Result<abi::Handle> create_holder();
  /// Shares `pages` present pages at `vaddr` of `from` into `to` at the same address,
  /// read-only: the frames live on while either maps them.
  virtual Result<void> share(abi::Handle from, abi::Handle to, uint64_t vaddr, uint64_t pages);
  /// Ends a holder: its frames go back unless something else maps them.
  virtual void destroy_holder(abi::Handle holder);
  /// Tells mm's lazy thread that a lazily migrated space ended or has pages to pull.
  virtual void wake_lazy();

 protected:
  ~MemoryKernel() = default;
};

/// A send queued by space_send for the migration thread: a copy of the space (regions) and
/// a handle of its own to the task, which the thread closes when done.
struct SendJob {
  protocols::mm::SpaceSendRequest request;
  AddressSpace space;
  abi::Handle task;
  abi::Handle done;  // signalled with kSliceDoneBit at the end; kNoHandle: nobody waits
};

/// A prepared space a slice is received into: an empty copy to fill, and a handle of the
/// receiver's own to the task (closed by the receiver).
struct ReceiveTarget {
  AddressSpace space;
  abi::Handle task;
  size_t regions_before;  // what the space held when prepared: a later precopy round's
  uint64_t pages_before;  // target holds the earlier rounds
};

/// What became of one page fault, for the log.
struct FaultOutcome {
  bool resolved;
  uint64_t pid;
  uint64_t address;
  const char* reason;  // when refused
  // The page is still at the source of a lazy migration: the fault is not answered yet;
  // the caller fetches it (without the space lock) and answers with finish_remote_fault.
  bool remote = false;
  size_t lazy_slot = 0;
};

class MemoryService {
 public:
  /// `modules`: the boot module table (image bytes come from it); nullptr: no modules.
  MemoryService(MemoryKernel& kernel, const abi::BootModuleTable* modules)
      : kernel_(kernel), modules_(modules) {}

  // Protocol handlers (protocols::mm::dispatch); every one is for the system badge only.
  Result<protocols::Empty> create_space(const protocols::mm::CreateSpaceRequest& request,
                                        protocols::Call& call);
  Result<protocols::Empty> add_region(const protocols::mm::RegionRequest& request,
                                      protocols::Call& call);
  Result<protocols::mm::DestroyReply> destroy_space(const protocols::mm::PidRequest& request,
                                                    protocols::Call& call);
  Result<protocols::mm::SpaceInfo> space_info(const protocols::mm::PidRequest& request,
                                              protocols::Call& call);
  Result<protocols::mm::Stats> stats(const protocols::Empty& request, protocols::Call& call);
  Result<protocols::Empty> space_send(const protocols::mm::SpaceSendRequest& request,
                                      protocols::Call& call);
  Result<protocols::mm::SliceStatus> space_send_status(
      const protocols::mm::MigrationRequest& request, protocols::Call& call);
  Result<protocols::mm::ResidualStatus> residual_status(
      const protocols::mm::MigrationRequest& request, protocols::Call& call);
  Result<protocols::Empty> residual_end(const protocols::mm::MigrationRequest& request,
                                        protocols::Call& call);
  Result<protocols::mm::DirtySample> dirty_sample(const protocols::mm::PidRequest& request,
                                                  protocols::Call& call);

  // The migration threads' side. Every method of this class is called with mm's space lock
  // held (the main loop and the migration threads share the table); the threads drop it
  // while they move pages.

  /// The send queued by space_send, if any; the caller owns job.task from then on.
  bool take_send(SendJob& job);
  /// Records the outcome of the running send; a new one may be queued after it.
  void finish_send(const protocols::mm::SliceStatus& status);
  /// The space prepared for `pid` to receive into: empty, or holding earlier precopy rounds
  /// (the slice's mode decides which it must be).
  Result<ReceiveTarget> prepare_receive(uint64_t pid, SliceError* refusal);
  /// Makes `filled` (target.space, filled) the space of its pid, if that space is still the
  /// one prepared and as it was then.
  Result<void> commit_receive(const ReceiveTarget& target, SliceError* refusal);
  /// Lazy and postcopy, destination side: makes a received page map `runs` the pages of
  /// `pid` still at `source_ip` (after commit_receive). `store` (flush, eager-dirty): they
  /// are in the page store at `source_ip`, not at the source.
  Result<void> open_lazy(uint64_t pid, uint64_t migration_id, uint32_t source_ip, bool push,
                         const PageRun* runs, size_t run_count, bool store = false);
  /// Answers a fault handle_fault left to the caller (outcome.remote): resolved if the page
  /// is there now, else refused with `why` (the task is then killed).
  FaultOutcome finish_remote_fault(abi::Message& message, const FaultOutcome& pending, bool fetched,
                                   const char* why);
  LazyTable& lazy() { return lazy_; }
  ResidualTable& residuals() { return residuals_; }
  /// Counts `pages` arrived from the source of a lazily migrated space.
  void note_arrived(uint64_t pid, uint64_t pages);
  /// The current time for the residual records; the node's clock (0 in host tests unless set).
  void set_clock(uint64_t (*now_ns)()) { now_ns_ = now_ns; }
  uint64_t now_ns() const { return now_ns_ != nullptr ? now_ns_() : 0; }
  /// The size of boot module `index`; 0 if there is none. Reads only immutable state.
  uint64_t module_size(uint32_t index) const;

  /// Answers a kernel page-fault message in place (label kLabelFaultResolved or
  /// kLabelFaultRefused, no payload). The badge names the space.
  FaultOutcome handle_fault(abi::Message& message);

  size_t space_count() const { return space_count_; }

 private:
  AddressSpace* find(uint64_t pid);
  Result<void> resolve(AddressSpace& space, const FaultPlan& plan);
  protocols::mm::SliceStatus* send_status(uint64_t migration_id);

  MemoryKernel& kernel_;
  const abi::BootModuleTable* modules_;
  AddressSpace spaces_[kMaxSpaces];
  bool used_[kMaxSpaces] = {};
  size_t space_count_ = 0;
  uint64_t faults_resolved_ = 0;
  uint64_t faults_refused_ = 0;
  // Migration, source side: at most one send runs; its job waits here until taken.
  SendJob pending_send_{};
  bool send_pending_ = false;
  bool send_running_ = false;
  protocols::mm::SliceStatus sends_[kSendHistory] = {};
  size_t next_send_ = 0;
  LazyTable lazy_;
  ResidualTable residuals_;
  uint64_t (*now_ns_)() = nullptr;
};

}  // namespace atoll_os::servers::mm
