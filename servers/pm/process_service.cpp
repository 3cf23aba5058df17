// pm's handlers. Every reply is immediate: a thread owes one reply at a time and pm never
// waits for a process, so wait() answers kBusy and signals a notification later instead.
#include "process_service.h"

#include <string_view>

namespace atoll_os::servers::pm {
namespace {

using protocols::Call;
using protocols::Empty;
using protocols::kSystemBadge;
namespace pm = protocols::pm;

// Modules that only init may start: they need capabilities no spawner can give.
constexpr std::string_view kReservedModules[] = {"init", "mm", "pm"};

template <size_t N>
std::string_view field_text(const char (&field)[N]) {
  size_t length = protocols::text_length(field);
  return length == N ? std::string_view{} : std::string_view{field, length};
}

bool valid_capability_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c > '~' || c == '=') return false;
  }
  return true;
}

}  // namespace

bool ProcessService::is_privileged(uint64_t badge) {
  if (badge == kSystemBadge) return true;
  Process* caller = table_.find(badge);
  return caller != nullptr && caller->phase == Phase::kLive && caller->privileged;
}

Result<void> ProcessService::check_spawn(const pm::SpawnRequest& request, Call& call) {
  std::string_view module = field_text(request.module);
  if (module.empty()) return call.fail(Error::kInvalidArgument, "no module name");
  for (std::string_view reserved : kReservedModules) {
    if (module == reserved) return call.fail(Error::kAccessDenied, "module reserved to init");
  }
  if ((request.flags & ~uint32_t{pm::kSpawnPrivileged}) != 0) {
    return call.fail(Error::kInvalidArgument, "unknown spawn flags");
  }
  if ((request.flags & pm::kSpawnPrivileged) && call.badge != kSystemBadge) {
    return call.fail(Error::kAccessDenied, "only init starts privileged processes");
  }
  if (request.priority >= abi::kPriorityCount ||
      (call.badge != kSystemBadge && request.priority > kMaxApplicationPriority)) {
    return call.fail(Error::kInvalidArgument, "priority out of range");
  }
  if (request.argument_bytes > sizeof(request.arguments)) {
    return call.fail(Error::kInvalidArgument, "argument bytes out of range");
  }
  for (uint32_t i = 0; i < abi::kMessageHandlesMax; ++i) {
    bool named = request.capability_names[i][0] != '\0';
    if (named != (i < call.received.count)) {
      return call.fail(Error::kInvalidArgument, "capability names do not match the handles");
    }
    if (named && !valid_capability_name(field_text(request.capability_names[i]))) {
      return call.fail(Error::kInvalidArgument, "invalid capability name");
    }
  }
  return success();
}

Result<pm::SpawnReply> ProcessService::spawn(const pm::SpawnRequest& request, Call& call) {
  TRY(check_spawn(request, call));
  uint64_t parent = call.badge == kSystemBadge ? 0 : call.badge;
  if (parent != 0 && table_.find(parent) == nullptr) {
    return call.fail(Error::kAccessDenied, "unknown caller");
  }
  Result<Process*> created = table_.create(parent, field_text(request.module),
                                           (request.flags & pm::kSpawnPrivileged) != 0);
  if (!created.ok()) return call.fail(created.error(), "process limit reached");
  Process& process = **created;
  uint32_t priority = request.priority != 0 ? request.priority : abi::kPriorityDefault;
  const char* reason = "could not start the module";
  Result<ProcessKernel::Launched> launched = kernel_.launch(
      {process, request, call.received, table_.death_bit(process), console_, priority}, &reason);
  if (!launched.ok()) {
    table_.abandon(process);
    return call.fail(launched.error(), reason);
  }
  process.task = launched->task;
  process.thread = launched->thread;
  process.priority = priority;
  process.cpu_features = node_features_;
  return pm::SpawnReply{process.pid};
}

Result<pm::WaitReply> ProcessService::wait(const pm::PidRequest& request, Call& call) {
  Process* process = table_.find(request.pid);
  if (process == nullptr) return call.fail(Error::kNotFound, "no such process");
  if (process->phase == Phase::kLive) {
    if (call.received.count == 1) {
      // One watcher per process: the slot bounds what waiters can make pm hold.
      if (process->waiter != abi::kNoHandle) kernel_.close(process->waiter);
      process->waiter = call.received.take(0);
    }
    return call.fail(Error::kBusy, "still running");
  }
  pm::WaitReply reply{process->pid, process->state, 0, process->exit_code, process->fault_address};
  if (call.badge == process->parent || call.badge == kSystemBadge) table_.release(*process);
  return reply;
}

Result<Empty> ProcessService::kill(const pm::KillRequest& request, Call& call) {
  Process* process = table_.find(request.pid);
  if (process == nullptr || process->phase != Phase::kLive) {
    return call.fail(Error::kNotFound, "no such running process");
  }
  // The servers (init's, and those init had pm start) stay up whatever a client asks:
  // `kill` from the host must not take down the console it came through.
  if (process->adopted || (process->privileged && call.badge != kSystemBadge)) {
    return call.fail(Error::kAccessDenied, "a system server");
  }
  if (!is_privileged(call.badge) && call.badge != process->parent) {
    return call.fail(Error::kAccessDenied, "neither its parent nor privileged");
  }
  // A frozen process may be about to run on elsewhere: killing it here could not stop that.
  if (process->migration != Migration::kNone) {
    return call.fail(Error::kBusy, "migrating; ask again when it has moved or thawed");
  }
  Result<void> killed = kernel_.task_kill(process->task, request.code);
  if (!killed.ok()) return call.fail(killed.error(), "task_kill failed");
  // Finish it now rather than when the reaper reports it, so that the next list shows it.
  Result<abi::TaskStatus> status = kernel_.task_status(process->task);
  if (status.ok() && status->state != abi::TaskState::kRunning) finish(*process, *status);
  return Empty{};
}

void ProcessService::fill_entry(Process& process, pm::ProcessEntry& entry) {
  entry = pm::ProcessEntry{};
  entry.pid = process.pid;
  entry.parent = process.parent;
  __builtin_memcpy(entry.name, process.name, sizeof(entry.name));
  entry.state = process.state;
  entry.exit_code = process.exit_code;
  if (process.phase != Phase::kLive) return;
  if (process.task != abi::kNoHandle) {
    if (auto status = kernel_.task_status(process.task); status.ok()) {
      entry.thread_count = status->thread_count;
    }
  }
  if (process.thread != abi::kNoHandle) {
    if (auto stats = kernel_.thread_stats(process.thread); stats.ok()) {
      entry.cpu_time_ns = stats->cpu_time_ns;
    }
  }
  if (auto info = kernel_.space_info(process.pid); info.ok()) {
    entry.resident_pages = info->resident_pages;
  }
}

Result<pm::ListReply> ProcessService::list(const pm::ListRequest& request, Call&) {
  Process* found[pm::kListMax + 1];
  size_t count = table_.list(request.after_pid, found, pm::kListMax + 1);
  pm::ListReply reply{};
  reply.more = count > pm::kListMax;
  reply.count = static_cast<uint32_t>(reply.more ? pm::kListMax : count);
  for (uint32_t i = 0; i < reply.count; ++i) fill_entry(*found[i], reply.entries[i]);
  return reply;
}

Result<protocols::mm::Stats> ProcessService::memory(const Empty&, Call& call) {
  Result<protocols::mm::Stats> stats = kernel_.memory_stats();
  if (!stats.ok()) return call.fail(stats.error(), "mm did not answer");
  return *stats;
}

Result<pm::StatsReply> ProcessService::stats(const Empty&, Call&) {
  pm::StatsReply reply{};
  reply.uptime_ns = kernel_.clock_ns();
  reply.processes_live = table_.live();
  reply.processes_started = table_.started();
  reply.processes_ended = table_.ended();
  reply.events_dropped = events_.dropped_total();
  table_.for_each_live([&](Process& process) {
    reply.migrating += process.migration == Migration::kFrozen;
    if (process.thread == abi::kNoHandle) return;
    if (auto stats = kernel_.thread_stats(process.thread); stats.ok()) {
      reply.cpu_time_ns += stats->cpu_time_ns;
      reply.context_switches += stats->context_switches;
    }
  });
  return reply;
}

Result<Empty> ProcessService::register_console(const Empty&, Call& call) {
  if (!is_privileged(call.badge)) return call.fail(Error::kAccessDenied, "not privileged");
  if (call.received.count == 0) return call.fail(Error::kInvalidArgument, "no console endpoint");
  if (console_ != abi::kNoHandle) kernel_.close(console_);
  if (console_events_ != abi::kNoHandle) kernel_.close(console_events_);
  console_ = call.received.take(0);
  console_events_ = call.received.take(1);
  return Empty{};
}

Result<pm::EventReply> ProcessService::next_event(const Empty&, Call& call) {
  if (!is_privileged(call.badge)) return call.fail(Error::kAccessDenied, "not privileged");
  return events_.pop();
}

Result<Empty> ProcessService::adopt(const pm::AdoptRequest& request, Call& call) {
  if (call.badge != kSystemBadge) return call.fail(Error::kAccessDenied, "only init adopts");
  Result<Process*> adopted = table_.adopt(request.pid, field_text(request.name));
  if (!adopted.ok()) return call.fail(adopted.error(), "cannot adopt that pid");
  (*adopted)->task = call.received.take(0);
  (*adopted)->thread = call.received.take(1);
  return Empty{};
}

Result<Empty> ProcessService::reap(const pm::ReapRequest& request, Call& call) {
  if (call.badge != pm::kReaperBadge) return call.fail(Error::kAccessDenied, "reaper only");
  table_.for_each_signalled(request.bits, [&](Process& process) {
    Result<abi::TaskStatus> status = kernel_.task_status(process.task);
    if (status.ok() && status->state != abi::TaskState::kRunning) finish(process, *status);
  });
  return Empty{};
}

void ProcessService::finish(Process& process, const abi::TaskStatus& status) {
  for (abi::Handle h : {process.task, process.thread}) {
    if (h != abi::kNoHandle) kernel_.close(h);
  }
  kernel_.forget(process.pid);
  if (process.waiter != abi::kNoHandle) {
    kernel_.signal(process.waiter, pm::kWaitBit);
    kernel_.close(process.waiter);
  }
  table_.end(process, status.state, status.exit_code, status.fault_address);
  pm::EventReply event{pm::EventKind::kEnded,
                       status.state,
                       process.pid,
                       status.exit_code,
                       status.fault_address,
                       0,
                       {}};
  __builtin_memcpy(event.name, process.name, sizeof(event.name));
  events_.push(event);
  if (console_events_ != abi::kNoHandle) kernel_.signal(console_events_, pm::kEventBit);
}

}  // namespace atoll_os::servers::pm
