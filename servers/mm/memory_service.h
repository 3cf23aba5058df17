// mm's request handlers and page-fault path over a table of address spaces; the kernel is
// reached through MemoryKernel so that host tests can run all of it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "address_space.h"
#include "atoll/abi/syscalls.h"
#include "atoll/protocols/mm.h"
#include "memory_slice.h"

namespace atoll_os::servers::mm {

inline constexpr size_t kMaxSpaces = 256;
inline constexpr uint64_t kDefaultPageQuota = 32768;  // 128 MiB per process unless pm says
/// Sends whose status space_send_status still answers (migm polls the newest).
inline constexpr size_t kSendHistory = 8;

/// Where in mm's own address space a migration thread maps the pages it moves: one window
/// per thread (the sender's, the receiver's), kMaxRunPages pages each.
enum class SliceWindow { kSend, kReceive };

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
};

/// What became of one page fault, for the log.
struct FaultOutcome {
  bool resolved;
  uint64_t pid;
  uint64_t address;
  const char* reason;  // when refused
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

  // The migration threads' side. Every method of this class is called with mm's space lock
  // held (the main loop and the migration threads share the table); the threads drop it
  // while they move pages.

  /// The send queued by space_send, if any; the caller owns job.task from then on.
  bool take_send(SendJob& job);
  /// Records the outcome of the running send; a new one may be queued after it.
  void finish_send(const protocols::mm::SliceStatus& status);
  /// The space prepared for `pid` (it must exist and have no regions yet) to receive into.
  Result<ReceiveTarget> prepare_receive(uint64_t pid, SliceError* refusal);
  /// Makes `filled` (a target of prepare_receive, filled) the space of its pid, if that
  /// space is still the one prepared and still empty.
  Result<void> commit_receive(const AddressSpace& filled, SliceError* refusal);
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
};

}  // namespace atoll_os::servers::mm
