// pm's protocol handlers: spawn, wait, kill, list, events, reaping; the kernel, mm and names
// are reached through ProcessKernel so that host tests can run all of it.
#pragma once

#include <stdint.h>

#include <span>

#include "atoll/protocols/pm.h"
#include "migration.h"
#include "process_slice.h"
#include "process_table.h"

namespace atoll_os::servers::pm {

/// What pm asks the kernel (and mm, names) to do.
class ProcessKernel {
 public:
  struct Launch {
    const Process& process;
    const protocols::pm::SpawnRequest& request;
    const protocols::HandleSet& capabilities;  // handles to copy into the child
    uint64_t death_bit;
    abi::Handle console;  // console endpoint to give the child (badged with its PID), or 0
    uint32_t priority;
  };
  struct Launched {
    abi::Handle task;
    abi::Handle thread;
  };
  /// Builds and starts the process; on failure nothing of it is left and `reason` says why.
  virtual Result<Launched> launch(const Launch& launch, const char** reason) = 0;
  virtual Result<abi::TaskStatus> task_status(abi::Handle task) = 0;
  virtual Result<void> task_kill(abi::Handle task, int64_t code) = 0;
  virtual Result<abi::ThreadStats> thread_stats(abi::Handle thread) = 0;
  virtual void close(abi::Handle handle) = 0;
  virtual void signal(abi::Handle notification, uint64_t bits) = 0;
  virtual Result<protocols::mm::SpaceInfo> space_info(uint64_t pid) = 0;
  virtual Result<protocols::mm::Stats> memory_stats() = 0;
  /// Tells mm and names that a process has ended (they drop what it held).
  virtual void forget(uint64_t pid) = 0;
  virtual uint64_t clock_ns() = 0;

 protected:
  ~ProcessKernel() = default;
};

/// Highest priority an unprivileged spawner may ask for: below the servers' (20).
inline constexpr uint32_t kMaxApplicationPriority = 15;

class HandleSources;

class ProcessService {
 public:
  /// Without `migration`, the migration operations answer kNotSupported.
  ProcessService(ProcessKernel& kernel, uint64_t node, MigrationKernel* migration = nullptr)
      : kernel_(kernel), migration_(migration), table_(node) {}

  Result<protocols::pm::SpawnReply> spawn(const protocols::pm::SpawnRequest& request,
                                          protocols::Call& call);
  Result<protocols::pm::WaitReply> wait(const protocols::pm::PidRequest& request,
                                        protocols::Call& call);
  /// The caller must be the parent or privileged; servers only the system badge may kill.
  Result<protocols::Empty> kill(const protocols::pm::KillRequest& request, protocols::Call& call);
  Result<protocols::pm::ListReply> list(const protocols::pm::ListRequest& request,
                                        protocols::Call& call);
  Result<protocols::mm::Stats> memory(const protocols::Empty& request, protocols::Call& call);
  Result<protocols::pm::StatsReply> stats(const protocols::Empty& request, protocols::Call& call);
  Result<protocols::Empty> register_console(const protocols::Empty& request, protocols::Call& call);
  Result<protocols::pm::EventReply> next_event(const protocols::Empty& request,
                                               protocols::Call& call);
  Result<protocols::Empty> adopt(const protocols::pm::AdoptRequest& request, protocols::Call& call);
  Result<protocols::Empty> reap(const protocols::pm::ReapRequest& request, protocols::Call& call);

  // Migration, source side (migration.cpp).
  Result<protocols::pm::DescribeReply> migrate_describe(const protocols::pm::PidRequest& request,
                                                        protocols::Call& call);
  Result<protocols::pm::FreezeReply> migrate_freeze(const protocols::pm::PidRequest& request,
                                                    protocols::Call& call);
  Result<protocols::Empty> migrate_thaw(const protocols::pm::PidRequest& request,
                                        protocols::Call& call);
  Result<protocols::pm::SliceReply> migrate_send(const protocols::pm::SliceRequest& request,
                                                 protocols::Call& call);
  Result<protocols::Empty> migrate_release(const protocols::pm::PidRequest& request,
                                           protocols::Call& call);
  // Migration, destination side.
  Result<protocols::Empty> migrate_prepare(const protocols::pm::PrepareRequest& request,
                                           protocols::Call& call);
  Result<protocols::Empty> migrate_commit(const protocols::pm::PidRequest& request,
                                          protocols::Call& call);
  Result<protocols::Empty> migrate_abort(const protocols::pm::PidRequest& request,
                                         protocols::Call& call);
  /// A process slice body as it came off the wire, for the prepared process `pid` of
  /// migration `migration_id` (from the SliceHeader): decoded, checked against the
  /// prepared record, its handles installed and its thread made (not started). On failure
  /// `*reason` says why and the process stays prepared without a slice.
  Result<void> receive_slice(uint64_t pid, uint64_t migration_id, std::span<const uint8_t> body,
                             const char** reason);

  /// The CPU features of this node, recorded for every process started here.
  void set_node_features(const protocols::pm::CpuFeatures& features) { node_features_ = features; }

  ProcessTable& table() { return table_; }
  const EventQueue& events() const { return events_; }

 private:
  bool is_privileged(uint64_t badge);
  Result<void> check_spawn(const protocols::pm::SpawnRequest& request, protocols::Call& call);
  /// Records how a process ended and lets go of everything it held.
  void finish(Process& process, const abi::TaskStatus& status);
  void fill_entry(Process& process, protocols::pm::ProcessEntry& entry);

  // Migration helpers (migration.cpp).
  /// The live, migratable process `pid` for a privileged caller, or the failure.
  Result<Process*> migratable(uint64_t pid, protocols::Call& call);
  /// The migration primitives for a privileged caller, or the failure.
  Result<MigrationKernel*> migration_for(protocols::Call& call);
  /// Fills slice.handles from the process's table; kNotSupported with the reason in
  /// reason_ when a handle cannot move.
  Result<void> collect_handles(Process& process, ProcessSlice& slice, const char** reason);
  Result<void> check_movable(Process& process, const char** reason);
  Result<void> install_handles(Process& process, const ProcessSlice& slice, const char** reason);
  Result<void> install_handle(Process& process, const SliceHandle& h, HandleSources& sources,
                              const char** reason);
  Result<abi::Handle> handle_source(Process& process, const SliceHandle& h, HandleSources& sources,
                                    uint64_t& badge, const char** reason);
  /// Kills and forgets a process without an exit event (it lives on elsewhere, or never
  /// started here).
  void drop(Process& process);

  /// Reasons composed at run time (a handle's value), valid until the next one.
  char reason_[protocols::kReasonMax] = {};
  // One slice each way at a time: migrate_send runs on the main loop, receive_slice on the
  // slice receiver thread, and each is only called under pm's service lock (main.cpp).
  ProcessSlice outgoing_ = {};
  uint8_t outgoing_wire_[kSliceBodyMax] = {};
  ProcessSlice incoming_ = {};
  abi::HandleListEntry listed_[kSliceHandlesMax + 1] = {};

  ProcessKernel& kernel_;
  MigrationKernel* migration_;
  ProcessTable table_;
  EventQueue events_;
  abi::Handle console_ = abi::kNoHandle;
  abi::Handle console_events_ = abi::kNoHandle;
  protocols::pm::CpuFeatures node_features_ = {};
};

}  // namespace atoll_os::servers::pm
