// pm's slice of a migration: which handles of a process can move, and how they are sorted
// into a process slice (the handlers themselves are ProcessService's, in migration.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"
#include "process_slice.h"

namespace atoll_os::servers::pm {

/// How long migrate_freeze waits for a thread in the reply phase of a call to stop.
inline constexpr uint64_t kFreezeTimeoutNs = 2'000'000'000;
inline constexpr uint64_t kFreezePollMs = 5;
/// Free frames a destination keeps beyond what an incoming process brings.
inline constexpr uint64_t kPrepareMarginPages = 256;

/// The objects pm recognises in a migrating process's table, by HandleInfo::object_id
/// (0: none — a console that is not registered).
struct KnownObjects {
  uint64_t task;             // the process's own task
  uint64_t names;            // this node's name service
  uint64_t process_manager;  // pm's endpoint
  uint64_t console;          // the console endpoint processes are given
  uint64_t ipcm;             // ipcm's endpoint (sessions are badged copies of it)
};

/// Why a handle cannot move, for the refusal's reason.
struct HandleRefusal {
  const char* what;  // "holds an endpoint of another server"
  uint32_t value;    // the handle
};

/// What pm's migration operations ask of the kernel and the network, beyond ProcessKernel;
/// host tests fake it.
class MigrationKernel {
 public:
  struct SliceDelivery {
    uint32_t ip;  // pm on the destination, network byte order
    uint64_t migration_id;
    uint64_t pid;
    std::span<const uint8_t> body;  // the encoded ProcessSlice
  };
  /// pm's handles that processes get copies of: the name service's and pm's own endpoint.
  virtual abi::Handle names_endpoint() = 0;
  virtual abi::Handle own_endpoint() = 0;
  virtual Result<abi::HandleInfo> handle_info(abi::Handle handle) = 0;
  /// Up to `max` (<= abi::kTaskHandlesMax) handles of `task` with a value above `after`.
  virtual Result<size_t> task_handles(abi::Handle task, uint32_t after, abi::HandleListEntry* out,
                                      size_t max) = 0;
  /// kBusy: the thread waits for a reply and stops when it comes (ask again).
  virtual Result<void> thread_suspend(abi::Handle thread) = 0;
  virtual Result<void> thread_resume(abi::Handle thread) = 0;
  virtual Result<void> thread_read_state(abi::Handle thread, abi::ThreadState& out) = 0;
  virtual Result<void> thread_write_state(abi::Handle thread, const abi::ThreadState& in) = 0;
  /// A thread of `task` that has not started (its state is written before it starts).
  virtual Result<abi::Handle> thread_create(abi::Handle task) = 0;
  virtual Result<void> thread_start(abi::Handle thread, uint32_t priority) = 0;
  /// Waits `ms`; pm's other threads may use the service meanwhile.
  virtual void pause_ms(uint64_t ms) = 0;
  /// A task for a process migrating here, made as build_process makes one (pager badged
  /// with `pid`, pm's death notification with `death_bit`), and its space at mm, empty.
  /// On failure nothing of it remains and `reason` says why.
  virtual Result<abi::Handle> create_task(uint64_t pid, uint64_t death_bit, uint64_t page_quota,
                                          const char** reason) = 0;
  /// Puts a copy of `source` with `rights` (badged `badge` if nonzero) at exactly `value`
  /// in `task`'s table.
  virtual Result<void> install_handle(abi::Handle task, abi::Handle source, uint32_t rights,
                                      uint64_t badge, uint32_t value) = 0;
  /// A new endpoint or notification (all rights), for a process's own objects.
  virtual Result<abi::Handle> create_object(abi::ObjectType type) = 0;
  /// ipcm's endpoint (system-badged), or kNoHandle on a node without one.
  virtual abi::Handle ipcm_endpoint() = 0;
  /// What this node's ipcm prepared for an incoming process (protocols::ipcm
  /// migration_handle): its session (`source_object` 0) or the object made for one of its
  /// ports' objects. kNotFound: nothing for that object.
  virtual Result<abi::Handle> ipcm_object(uint64_t migration_id, uint64_t pid,
                                          uint64_t source_object) = 0;
  /// Puts a revoked handle at `value` in `task`: every use of it fails, as on the source.
  virtual Result<void> install_revoked(abi::Handle task, uint32_t value) = 0;
  /// Sends a process slice to pm on the destination and waits for its acknowledgement; the
  /// bytes that went on the wire. A refusal comes back as the ack's error with `reason`
  /// (valid until the next call).
  virtual Result<uint64_t> send_slice(const SliceDelivery& delivery, const char** reason) = 0;

 protected:
  ~MigrationKernel() = default;
};

/// Sorts the handles of process `pid` (in increasing value order, as task_handles lists them)
/// into slice.handles. kNotSupported, with `refusal` set, at the first handle that cannot
/// move (another server's endpoint, a thread, another task, a device, a server handle with
/// a foreign badge); kOutOfRange if there are more than kSliceHandlesMax.
Result<void> classify_handles(std::span<const abi::HandleListEntry> handles,
                              const KnownObjects& known, uint64_t pid, ProcessSlice& slice,
                              HandleRefusal& refusal);

}  // namespace atoll_os::servers::pm
