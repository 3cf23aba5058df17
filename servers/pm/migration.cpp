// pm's migration operations (privileged callers, i.e. migm, only). The source describes,
// freezes, sends and finally releases a process, or thaws it on abort; the destination
// prepares a record and a task with the process's PID, receives its slice, then commits
// (starts it) or aborts (forgets it). pm moves the process's identity, thread and handles;
// mm moves its memory.
#include <string_view>

#include "../lib/text_writer.h"
#include "migration.h"
#include "process_service.h"

namespace atoll_os::servers::pm {
namespace {

using protocols::Call;
using protocols::Empty;
namespace pm_protocol = protocols::pm;

bool receives_on(std::span<const abi::HandleListEntry> handles, uint64_t object_id) {
  for (const abi::HandleListEntry& h : handles) {
    if (h.object_id == object_id && (h.rights & abi::kRightRead) != 0) return true;
  }
  return false;
}

// What one handle is to pm, or why it cannot move (nullptr: it can).
const char* kind_of(const abi::HandleListEntry& h, std::span<const abi::HandleListEntry> all,
                    const KnownObjects& known, uint64_t pid, SliceHandleKind& kind) {
  if ((h.flags & abi::kHandleRevoked) != 0) {
    kind = SliceHandleKind::kRevoked;
    return nullptr;
  }
  switch (h.type) {
    case abi::ObjectType::kTask:
      kind = SliceHandleKind::kSelfTask;
      return h.object_id == known.task ? nullptr : "holds the task of another process";
    case abi::ObjectType::kNotification: kind = SliceHandleKind::kOwnNotification; return nullptr;
    case abi::ObjectType::kEndpoint: break;
    case abi::ObjectType::kThread: return "holds a thread handle";
    default: return "holds a device handle";
  }
  const struct {
    uint64_t object_id;
    SliceHandleKind kind;
  } servers[] = {{known.names, SliceHandleKind::kNames},
                 {known.process_manager, SliceHandleKind::kProcessManager},
                 {known.console, SliceHandleKind::kConsole}};
  for (const auto& server : servers) {
    if (server.object_id == 0 || h.object_id != server.object_id) continue;
    kind = server.kind;
    return h.badge == pid ? nullptr : "holds a server endpoint badged for another process";
  }
  if (known.ipcm != 0 && h.object_id == known.ipcm) {
    kind = SliceHandleKind::kIpcmSession;
    bool session = h.badge != 0 && h.badge != protocols::kSystemBadge;
    return session ? nullptr : "holds ipcm's endpoint outside a session";
  }
  kind = SliceHandleKind::kOwnEndpoint;
  return receives_on(all, h.object_id) ? nullptr : "holds an endpoint of another server";
}

bool own_kind(SliceHandleKind kind) {
  return kind == SliceHandleKind::kOwnNotification || kind == SliceHandleKind::kOwnEndpoint;
}

template <size_t N>
bool same_text(const char (&a)[N], const char (&b)[N]) {
  return std::string_view(a, protocols::text_length(a)) ==
         std::string_view(b, protocols::text_length(b));
}

// The badge of the ipcm session among classified handles (`listed` in the slice's order).
uint64_t ipcm_session_of(const ProcessSlice& slice, const abi::HandleListEntry* listed) {
  for (uint32_t i = 0; i < slice.handle_count; ++i) {
    if (slice.handles[i].kind == SliceHandleKind::kIpcmSession) return listed[i].badge;
  }
  return 0;
}

uint32_t spawn_flags(const Process& process) {
  return process.privileged ? uint32_t{pm_protocol::kSpawnPrivileged} : 0;
}

}  // namespace

Result<void> classify_handles(std::span<const abi::HandleListEntry> handles,
                              const KnownObjects& known, uint64_t pid, ProcessSlice& slice,
                              HandleRefusal& refusal) {
  slice.handle_count = 0;
  if (handles.size() > kSliceHandlesMax) {
    refusal = {"holds more handles than a slice carries", 0};
    return Err(Error::kOutOfRange);
  }
  uint64_t own_objects[kSliceHandlesMax];
  uint32_t own_count = 0;
  for (const abi::HandleListEntry& h : handles) {
    SliceHandle out{h.value, SliceHandleKind::kSelfTask, h.rights, 0, 0, 0};
    if (const char* why = kind_of(h, handles, known, pid, out.kind)) {
      refusal = {why, h.value};
      return Err(Error::kNotSupported);
    }
    if (own_kind(out.kind)) {
      while (out.object < own_count && own_objects[out.object] != h.object_id) ++out.object;
      if (out.object == own_count) own_objects[own_count++] = h.object_id;
      out.badge = h.badge;
      out.source_object = h.object_id;
    }
    slice.handles[slice.handle_count++] = out;
  }
  return success();
}

// ---- Source side.

Result<MigrationKernel*> ProcessService::migration_for(Call& call) {
  if (!is_privileged(call.badge)) return call.fail(Error::kAccessDenied, "not privileged");
  if (migration_ == nullptr) return call.fail(Error::kNotSupported, "no migration on this node");
  return migration_;
}

Result<Process*> ProcessService::migratable(uint64_t pid, Call& call) {
  TRY(migration_for(call));
  Process* process = table_.find(pid);
  if (process == nullptr || process->phase != Phase::kLive) {
    return call.fail(Error::kNotFound, "no such live process");
  }
  if (process->adopted || process->privileged || process->thread == abi::kNoHandle) {
    return call.fail(Error::kNotSupported, "a system server stays on its node");
  }
  return process;
}

Result<void> ProcessService::collect_handles(Process& process, ProcessSlice& slice,
                                             const char** reason) {
  *reason = "cannot inspect the handles pm gives processes";
  KnownObjects known{};
  known.task = TRY(migration_->handle_info(process.task)).object_id;
  known.names = TRY(migration_->handle_info(migration_->names_endpoint())).object_id;
  known.process_manager = TRY(migration_->handle_info(migration_->own_endpoint())).object_id;
  if (console_ != abi::kNoHandle) known.console = TRY(migration_->handle_info(console_)).object_id;
  if (abi::Handle ipcm = migration_->ipcm_endpoint(); ipcm != abi::kNoHandle) {
    known.ipcm = TRY(migration_->handle_info(ipcm)).object_id;
  }
  *reason = "cannot list the process's handles";
  size_t count = 0;
  for (;;) {
    size_t room = kSliceHandlesMax + 1 - count;
    if (room > abi::kTaskHandlesMax) room = abi::kTaskHandlesMax;
    uint32_t after = count == 0 ? 0 : listed_[count - 1].value;
    size_t found = TRY(migration_->task_handles(process.task, after, listed_ + count, room));
    count += found;
    if (found < room || count == kSliceHandlesMax + 1) break;
  }
  HandleRefusal refusal{};
  Result<void> classified = classify_handles({listed_, count}, known, process.pid, slice, refusal);
  if (!classified.ok()) {
    TextWriter(reason_).text(refusal.what).text(" (handle ").hex(refusal.value).text(")");
    *reason = reason_;
    return Err(Error::kNotSupported);
  }
  return success();
}

Result<void> ProcessService::check_movable(Process& process, const char** reason) {
  *reason = "cannot read the task's status";
  abi::TaskStatus status = TRY(kernel_.task_status(process.task));
  if (status.thread_count != 1) {
    *reason = "has more than one thread";
    return Err(Error::kNotSupported);
  }
  return collect_handles(process, outgoing_, reason);
}

Result<pm_protocol::DescribeReply> ProcessService::migrate_describe(
    const pm_protocol::PidRequest& request, Call& call) {
  Process* process = TRY(migratable(request.pid, call));
  const char* reason = nullptr;
  if (Result<void> movable = check_movable(*process, &reason); !movable.ok()) {
    return call.fail(movable.error(), reason);
  }
  Result<protocols::mm::SpaceInfo> space = kernel_.space_info(process->pid);
  if (!space.ok()) return call.fail(space.error(), "mm does not know its space");
  pm_protocol::DescribeReply reply{};
  reply.pid = process->pid;
  reply.parent = process->parent;
  reply.resident_pages = space->resident_pages;
  reply.page_quota = space->page_quota;
  reply.priority = process->priority;
  reply.flags = spawn_flags(*process);
  __builtin_memcpy(reply.name, process->name, sizeof(reply.name));
  reply.features = process->cpu_features;
  reply.ipcm_session = ipcm_session_of(outgoing_, listed_);
  return reply;
}

Result<pm_protocol::FreezeReply> ProcessService::migrate_freeze(
    const pm_protocol::PidRequest& request, Call& call) {
  Process* process = TRY(migratable(request.pid, call));
  if (process->migration != Migration::kNone) return call.fail(Error::kBusy, "already frozen");
  const char* reason = nullptr;
  if (Result<void> movable = check_movable(*process, &reason); !movable.ok()) {
    return call.fail(movable.error(), reason);
  }
  // A thread waiting for a reply stops once it comes: ask again until it has.
  uint64_t deadline = kernel_.clock_ns() + kFreezeTimeoutNs;
  for (;;) {
    Result<void> suspended = migration_->thread_suspend(process->thread);
    if (suspended.ok()) break;
    if (suspended.error() != Error::kBusy || kernel_.clock_ns() >= deadline) {
      (void)migration_->thread_resume(process->thread);  // cancels a pending suspension
      return suspended.error() == Error::kBusy
                 ? call.fail(Error::kTimedOut, "a call it made got no reply within 2 s")
                 : call.fail(suspended.error(), "thread_suspend failed");
    }
    migration_->pause_ms(kFreezePollMs);
  }
  process->migration = Migration::kFrozen;
  pm_protocol::FreezeReply reply{};
  reply.threads = 1;
  if (auto space = kernel_.space_info(process->pid); space.ok()) {
    reply.resident_pages = space->resident_pages;
    reply.page_quota = space->page_quota;
  }
  return reply;
}

Result<Empty> ProcessService::migrate_thaw(const pm_protocol::PidRequest& request, Call& call) {
  Process* process = TRY(migratable(request.pid, call));
  if (process->migration != Migration::kFrozen) {
    return call.fail(Error::kInvalidArgument, "not frozen");
  }
  Result<void> resumed = migration_->thread_resume(process->thread);
  if (!resumed.ok()) return call.fail(resumed.error(), "thread_resume failed");
  process->migration = Migration::kNone;
  return Empty{};
}

Result<pm_protocol::SliceReply> ProcessService::migrate_send(
    const pm_protocol::SliceRequest& request, Call& call) {
  Process* process = TRY(migratable(request.pid, call));
  if (process->migration != Migration::kFrozen) {
    return call.fail(Error::kInvalidArgument, "not frozen");
  }
  uint64_t started = kernel_.clock_ns();
  ProcessSlice& slice = outgoing_;
  slice.pid = process->pid;
  slice.parent = process->parent;
  slice.priority = process->priority;
  slice.flags = spawn_flags(*process);
  __builtin_memcpy(slice.name, process->name, sizeof(slice.name));
  slice.thread_count = 1;
  if (Result<void> read = migration_->thread_read_state(process->thread, slice.threads[0]);
      !read.ok()) {
    return call.fail(read.error(), "cannot read its thread's state");
  }
  const char* reason = nullptr;
  if (Result<void> collected = collect_handles(*process, slice, &reason); !collected.ok()) {
    return call.fail(collected.error(), reason);
  }
  Result<size_t> encoded = encode(slice, outgoing_wire_);
  if (!encoded.ok()) return call.fail(encoded.error(), "cannot encode the slice");
  pm_protocol::SliceReply reply{0, 0, slice.thread_count, slice.handle_count};
  reason = "the destination did not take the slice";
  Result<uint64_t> sent = migration_->send_slice(
      {request.destination_ip, request.migration_id, process->pid, {outgoing_wire_, *encoded}},
      &reason);
  if (!sent.ok()) return call.fail(sent.error(), reason);
  reply.bytes_sent = *sent;
  reply.elapsed_ns = kernel_.clock_ns() - started;
  return reply;
}

Result<Empty> ProcessService::migrate_release(const pm_protocol::PidRequest& request, Call& call) {
  Process* process = TRY(migratable(request.pid, call));
  if (process->migration != Migration::kFrozen) {
    return call.fail(Error::kInvalidArgument, "not frozen");
  }
  drop(*process);
  return Empty{};
}

void ProcessService::drop(Process& process) {
  if (process.task != abi::kNoHandle) (void)kernel_.task_kill(process.task, -1);
  for (abi::Handle h : {process.task, process.thread}) {
    if (h != abi::kNoHandle) kernel_.close(h);
  }
  kernel_.forget(process.pid);
  // A watcher learns that it is gone from here (wait answers kNotFound from now on).
  if (process.waiter != abi::kNoHandle) {
    kernel_.signal(process.waiter, pm_protocol::kWaitBit);
    kernel_.close(process.waiter);
  }
  // The death notification still comes; the reaper finds the slot free (or someone
  // else's, still running) and reports nothing.
  table_.release(process);
}

// ---- Destination side.

Result<Empty> ProcessService::migrate_prepare(const pm_protocol::PrepareRequest& request,
                                              Call& call) {
  TRY(migration_for(call));
  if (request.pid == 0 || pm_protocol::pid_node(request.pid) > pm_protocol::kMaxNode ||
      pm_protocol::pid_serial(request.pid) == 0) {
    return call.fail(Error::kInvalidArgument, "not a valid PID");
  }
  if (request.priority == 0 || request.priority >= abi::kPriorityCount) {
    return call.fail(Error::kInvalidArgument, "priority out of range");
  }
  if ((request.flags & ~uint32_t{pm_protocol::kSpawnPrivileged}) != 0) {
    return call.fail(Error::kInvalidArgument, "unknown flags");
  }
  if (protocols::text_length(request.name) >= sizeof(request.name)) {
    return call.fail(Error::kInvalidArgument, "name not terminated");
  }
  if (table_.find_any(request.pid) != nullptr) {
    return call.fail(Error::kAlreadyExists, "that PID is already here");
  }
  Result<protocols::mm::Stats> memory = kernel_.memory_stats();
  if (!memory.ok()) return call.fail(memory.error(), "mm did not answer");
  uint64_t needed = request.resident_pages + kPrepareMarginPages;
  if (memory->kernel.free_frames < needed) {
    TextWriter(reason_)
        .text("not enough free memory: ")
        .decimal(memory->kernel.free_frames)
        .text(" pages free, ")
        .decimal(needed)
        .text(" needed");
    return call.fail(Error::kOutOfMemory, reason_);
  }
  Result<Process*> imported = table_.import(request.pid, request.parent,
                                            {request.name, protocols::text_length(request.name)},
                                            (request.flags & pm_protocol::kSpawnPrivileged) != 0);
  if (!imported.ok()) return call.fail(imported.error(), "the process table is full");
  Process& process = **imported;
  const char* reason = "cannot create its task";
  Result<abi::Handle> task =
      migration_->create_task(process.pid, table_.death_bit(process), request.page_quota, &reason);
  if (!task.ok()) {
    table_.release(process);
    return call.fail(task.error(), reason);
  }
  process.task = *task;
  process.priority = request.priority;
  process.migration = Migration::kPrepared;
  process.migration_id = request.migration_id;
  process.cpu_features = request.features;  // the record travels with the process
  return Empty{};
}

Result<void> ProcessService::receive_slice(uint64_t pid, uint64_t migration_id,
                                           std::span<const uint8_t> body, const char** reason) {
  if (migration_ == nullptr) {
    *reason = "no migration on this node";
    return Err(Error::kNotSupported);
  }
  Process* process = table_.find_any(pid);
  if (process == nullptr || process->phase != Phase::kIncoming) {
    *reason = "no process prepared with that PID";
    return Err(Error::kNotFound);
  }
  if (process->migration_id != migration_id) {
    *reason = "prepared for another migration";
    return Err(Error::kInvalidArgument);
  }
  if (process->migration != Migration::kPrepared) {
    *reason = "its slice is already here";
    return Err(Error::kAlreadyExists);
  }
  ProcessSlice& slice = incoming_;
  TRY(decode(body, slice, reason));
  if (slice.pid != pid || slice.parent != process->parent || slice.priority != process->priority ||
      slice.flags != spawn_flags(*process) || !same_text(slice.name, process->name)) {
    *reason = "the slice does not match the prepared process";
    return Err(Error::kBadFormat);
  }
  if (slice.thread_count != 1) {
    *reason = "more than one thread";
    return Err(Error::kNotSupported);
  }
  TRY(install_handles(*process, slice, reason));
  *reason = "cannot create its thread";
  abi::Handle thread = TRY(migration_->thread_create(process->task));
  if (Result<void> written = migration_->thread_write_state(thread, slice.threads[0]);
      !written.ok()) {
    kernel_.close(thread);
    *reason = "the kernel refused its thread state";
    return Err(written.error());
  }
  process->thread = thread;
  process->migration = Migration::kInstalled;
  return success();
}

// Where a handle of the slice comes from on this node, for install_handles. Own objects are
// made once each (the first handle that names one); ipcm's objects and session are taken from
// this node's ipcm, which prepared them from the ipcm slice.
class HandleSources {
 public:
  HandleSources(ProcessKernel& kernel, MigrationKernel& migration, const Process& process)
      : kernel_(kernel), migration_(migration), process_(process) {}
  HandleSources(const HandleSources&) = delete;
  HandleSources& operator=(const HandleSources&) = delete;
  // The process holds its own copies of what it was given now.
  ~HandleSources() {
    for (uint32_t i = 0; i < count_; ++i) kernel_.close(held_[i]);
    if (session_ != abi::kNoHandle) kernel_.close(session_);
  }

  Result<abi::Handle> session() {
    if (session_ == abi::kNoHandle) {
      session_ = TRY(migration_.ipcm_object(process_.migration_id, process_.pid, 0));
    }
    return session_;
  }

  Result<abi::Handle> own(const SliceHandle& h) {
    if (h.object < count_) return held_[h.object];
    abi::Handle made = TRY(make(h));
    held_[count_++] = made;  // decode() numbers objects in order
    return made;
  }

 private:
  // A port's object made by ipcm, or a fresh one when it is none of ipcm's.
  Result<abi::Handle> make(const SliceHandle& h) {
    Result<abi::Handle> from_ipcm =
        migration_.ipcm_object(process_.migration_id, process_.pid, h.source_object);
    if (from_ipcm.ok() || from_ipcm.error() != Error::kNotFound) return from_ipcm;
    return migration_.create_object(h.kind == SliceHandleKind::kOwnEndpoint
                                        ? abi::ObjectType::kEndpoint
                                        : abi::ObjectType::kNotification);
  }

  ProcessKernel& kernel_;
  MigrationKernel& migration_;
  const Process& process_;
  abi::Handle held_[kSliceHandlesMax];
  uint32_t count_ = 0;
  abi::Handle session_ = abi::kNoHandle;
};

Result<abi::Handle> ProcessService::handle_source(Process& process, const SliceHandle& h,
                                                  HandleSources& sources, uint64_t& badge,
                                                  const char** reason) {
  badge = process.pid;
  switch (h.kind) {
    case SliceHandleKind::kSelfTask: badge = 0; return process.task;
    case SliceHandleKind::kNames: return migration_->names_endpoint();
    case SliceHandleKind::kProcessManager: return migration_->own_endpoint();
    case SliceHandleKind::kConsole:
      *reason = "it writes to a console and this node has none";
      if (console_ == abi::kNoHandle) return Err(Error::kNotSupported);
      return console_;
    case SliceHandleKind::kIpcmSession:
      *reason = "this node's ipcm has no session prepared for it";
      badge = 0;  // badged by ipcm
      return sources.session();
    case SliceHandleKind::kOwnNotification:
    case SliceHandleKind::kOwnEndpoint:
      *reason = "cannot create one of its objects";
      badge = h.badge;
      return sources.own(h);
    case SliceHandleKind::kRevoked: break;
  }
  return Err(Error::kInvalidArgument);
}

Result<void> ProcessService::install_handle(Process& process, const SliceHandle& h,
                                            HandleSources& sources, const char** reason) {
  if (h.kind == SliceHandleKind::kRevoked) {
    *reason = "cannot install a revoked handle";
    return migration_->install_revoked(process.task, h.value);
  }
  uint64_t badge = 0;
  abi::Handle source = TRY(handle_source(process, h, sources, badge, reason));
  Result<void> installed =
      migration_->install_handle(process.task, source, h.rights, badge, h.value);
  if (!installed.ok()) {
    TextWriter(reason_).text("cannot install its handle ").hex(h.value);
    *reason = reason_;
  }
  return installed;
}

Result<void> ProcessService::install_handles(Process& process, const ProcessSlice& slice,
                                             const char** reason) {
  HandleSources sources(kernel_, *migration_, process);
  for (uint32_t i = 0; i < slice.handle_count; ++i) {
    TRY(install_handle(process, slice.handles[i], sources, reason));
  }
  return success();
}

Result<Empty> ProcessService::migrate_commit(const pm_protocol::PidRequest& request, Call& call) {
  TRY(migration_for(call));
  Process* process = table_.find_any(request.pid);
  if (process == nullptr || process->phase != Phase::kIncoming) {
    return call.fail(Error::kNotFound, "no process prepared with that PID");
  }
  if (process->migration != Migration::kInstalled) {
    return call.fail(Error::kBusy, "the process slice has not arrived");
  }
  Result<void> started = migration_->thread_start(process->thread, process->priority);
  if (!started.ok()) return call.fail(started.error(), "thread_start failed");
  table_.commit(*process);
  return Empty{};
}

Result<Empty> ProcessService::migrate_abort(const pm_protocol::PidRequest& request, Call& call) {
  TRY(migration_for(call));
  Process* process = table_.find_any(request.pid);
  if (process == nullptr) return call.fail(Error::kNotFound, "no process prepared with that PID");
  if (process->phase != Phase::kIncoming) {
    return call.fail(Error::kBusy, "committed already: it runs here");
  }
  drop(*process);
  return Empty{};
}

}  // namespace atoll_os::servers::pm
