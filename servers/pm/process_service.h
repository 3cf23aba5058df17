// pm's protocol handlers: spawn, wait, kill, list, events, reaping; the kernel, mm and names
// are reached through ProcessKernel so that host tests can run all of it.
#pragma once

#include <stdint.h>

#include "atoll/protocols/pm.h"
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

class ProcessService {
 public:
  ProcessService(ProcessKernel& kernel, uint64_t node) : kernel_(kernel), table_(node) {}

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

  ProcessTable& table() { return table_; }
  const EventQueue& events() const { return events_; }

 private:
  bool is_privileged(uint64_t badge);
  Result<void> check_spawn(const protocols::pm::SpawnRequest& request, protocols::Call& call);
  /// Records how a process ended and lets go of everything it held.
  void finish(Process& process, const abi::TaskStatus& status);
  void fill_entry(Process& process, protocols::pm::ProcessEntry& entry);

  ProcessKernel& kernel_;
  ProcessTable table_;
  EventQueue events_;
  abi::Handle console_ = abi::kNoHandle;
  abi::Handle console_events_ = abi::kNoHandle;
};

}  // namespace atoll_os::servers::pm
