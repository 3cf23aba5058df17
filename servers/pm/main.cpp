// pm, the process manager: starts processes from boot modules, gives them global PIDs,
// learns of their ends, and answers wait, kill and list.
//
// init starts pm with: its own endpoint (all rights) in ProcessStart::process_manager; the
// name service's endpoint (duplicable) in ProcessStart::names; capabilities "mm" (mm's
// endpoint badged kSystemBadge) and "pager" (mm's endpoint, duplicable, to mint each
// process's pager handle). pm calls mm and names, which never call pm; it never calls a
// process or ctl (console events go out as notification bits).
//
// Threads: the main loop serves requests; the reaper thread turns death notifications into
// reap calls to that loop; the slice receiver thread takes process slices from pm on other
// nodes (migration.cpp). The service is used only under g_service_lock: the main loop holds
// it for each request, except while it waits on the network or sleeps (send_slice,
// pause_ms), when the receiver may take it to install a slice; the receiver only changes
// incoming processes, never the live ones the main loop may be working on.
#include "../lib/cpu_id.h"
#include "../lib/process_builder.h"
#include "../lib/serve.h"
#include "../lib/slice_channel.h"
#include "atoll/abi/process.h"
#include "atoll/protocols/ipcm.h"
#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/clock.h"
#include "atoll/user/ipc.h"
#include "atoll/user/lock.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/thread.h"
#include "process_service.h"

namespace atoll_os::servers::pm {
namespace {

namespace pm_protocol = protocols::pm;
namespace slices = servers::migration;

// The priority init starts pm at (kServerPriority); pm's other threads share
// g_service_lock with the main loop, so they run at it too: a waiter only yields.
constexpr uint32_t kPmPriority = 20;
static_assert(kSliceBodyMax <= servers::migration::kSmallSliceMax,
              "a process slice goes in one write");

user::YieldingLock g_service_lock;

// Lets go of g_service_lock for a scope of the main loop that waits (the caller holds it).
class ServiceUnlocked {
 public:
  ServiceUnlocked() { g_service_lock.unlock(); }
  ~ServiceUnlocked() { g_service_lock.lock(); }
  ServiceUnlocked(const ServiceUnlocked&) = delete;
  ServiceUnlocked& operator=(const ServiceUnlocked&) = delete;
};

struct Capabilities {
  abi::Handle endpoint;    // pm's own, all rights
  abi::Handle names_mint;  // the name service's endpoint, duplicable
  abi::Handle pager_mint;  // mm's endpoint, duplicable
  abi::Handle mm;          // mm's endpoint with the system badge
  abi::Handle names;       // the name service with the system badge
  abi::Handle deaths;      // notification every task pm creates signals when it ends
  abi::Handle ipcm;        // ipcm's endpoint with the system badge (kNoHandle: none)
};

class SyscallProcessKernel final : public ProcessKernel, public MigrationKernel {
 public:
  explicit SyscallProcessKernel(const Capabilities& caps)
      : caps_(caps), mm_(caps.mm), names_(caps.names), ipcm_(caps.ipcm) {}

  Result<Launched> launch(const Launch& launch, const char** reason) override;
  Result<abi::TaskStatus> task_status(abi::Handle task) override { return user::task_status(task); }
  Result<void> task_kill(abi::Handle task, int64_t code) override {
    return user::task_kill(task, code);
  }
  Result<abi::ThreadStats> thread_stats(abi::Handle thread) override {
    return user::thread_stats(thread);
  }
  void close(abi::Handle handle) override { (void)user::handle_close(handle); }
  void signal(abi::Handle notification, uint64_t bits) override {
    (void)user::notification_signal(notification, bits);
  }
  Result<protocols::mm::SpaceInfo> space_info(uint64_t pid) override {
    return mm_.space_info({pid});
  }
  Result<protocols::mm::Stats> memory_stats() override { return mm_.stats({}); }
  void forget(uint64_t pid) override {
    (void)mm_.destroy_space({pid});
    (void)names_.release_owner({pid});
  }
  uint64_t clock_ns() override { return user::clock_ns(); }

  abi::Handle names_endpoint() override { return caps_.names_mint; }
  abi::Handle own_endpoint() override { return caps_.endpoint; }
  Result<abi::HandleInfo> handle_info(abi::Handle handle) override {
    return user::handle_info(handle);
  }
  Result<size_t> task_handles(abi::Handle task, uint32_t after, abi::HandleListEntry* out,
                              size_t max) override {
    return TRY(user::task_handles(task, after, out, max));
  }
  Result<void> thread_suspend(abi::Handle thread) override { return user::thread_suspend(thread); }
  Result<void> thread_resume(abi::Handle thread) override { return user::thread_resume(thread); }
  Result<void> thread_read_state(abi::Handle thread, abi::ThreadState& out) override {
    return user::thread_read_state(thread, out);
  }
  Result<void> thread_write_state(abi::Handle thread, const abi::ThreadState& in) override {
    return user::thread_write_state(thread, in);
  }
  Result<abi::Handle> thread_create(abi::Handle task) override {
    // Entry and stack are placeholders: thread_write_state sets the real ones before start.
    return user::thread_create(task, abi::kProcessStartAddress, abi::kUserStackTop, 0);
  }
  Result<void> thread_start(abi::Handle thread, uint32_t priority) override {
    return user::thread_start(thread, priority);
  }
  void pause_ms(uint64_t ms) override {
    ServiceUnlocked unlocked;
    (void)user::sleep_ms(ms);
  }
  Result<abi::Handle> create_task(uint64_t pid, uint64_t death_bit, uint64_t page_quota,
                                  const char** reason) override;
  Result<void> install_handle(abi::Handle task, abi::Handle source, uint32_t rights, uint64_t badge,
                              uint32_t value) override {
    abi::Handle copy = TRY(user::handle_duplicate(source, rights | abi::kRightTransfer, badge));
    Result<void> installed = user::handle_install(task, copy, rights, value);
    (void)user::handle_close(copy);
    return installed;
  }
  Result<abi::Handle> create_object(abi::ObjectType type) override {
    return type == abi::ObjectType::kEndpoint ? user::endpoint_create()
                                              : user::notification_create();
  }
  abi::Handle ipcm_endpoint() override { return caps_.ipcm; }
  Result<abi::Handle> ipcm_object(uint64_t migration_id, uint64_t pid,
                                  uint64_t source_object) override {
    if (caps_.ipcm == abi::kNoHandle) return Err(Error::kNotFound);
    protocols::HandleSet handles;
    // ipcm never calls pm, so pm may wait on it.
    TRY(ipcm_.migration_handle({migration_id, pid, source_object}, &handles));
    if (handles.count != 1) return Err(Error::kBadFormat);
    return handles.take(0);
  }
  Result<void> install_revoked(abi::Handle task, uint32_t value) override;
  Result<uint64_t> send_slice(const SliceDelivery& delivery, const char** reason) override;

 private:
  /// Its (empty) space at mm, which gets the task handle with kRightMemory.
  Result<void> give_space(abi::Handle task, uint64_t pid, uint64_t page_quota);
  Result<uint64_t> exchange(slices::SliceChannel& channel, const SliceDelivery& delivery,
                            const char** reason);

  const Capabilities& caps_;
  protocols::mm::Client mm_;
  protocols::names::Client names_;
  protocols::ipcm::Client ipcm_;
  char ack_reason_[sizeof(slices::SliceAck::reason)] = {};
};

// A copy of a notification made for the purpose, installed and then cut from it: the slot
// holds a handle every use of which fails, as the process's revoked one did.
Result<void> SyscallProcessKernel::install_revoked(abi::Handle task, uint32_t value) {
  abi::Handle object = TRY(user::notification_create());
  constexpr uint32_t kParentRights = abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer;
  Result<abi::Handle> parent = user::handle_duplicate(object, kParentRights);
  Result<void> installed = parent.ok() ? install_handle(task, *parent, abi::kRightWrite, 0, value)
                                       : Result<void>(Err(parent.error()));
  if (installed.ok()) installed = user::handle_revoke(*parent);
  if (parent.ok()) (void)user::handle_close(*parent);
  (void)user::handle_close(object);
  return installed;
}

auto SyscallProcessKernel::create_task(uint64_t pid, uint64_t death_bit, uint64_t page_quota,
                                       const char** reason) -> Result<abi::Handle> {
  *reason = "cannot create its task";
  // As build_process: the task keeps the pager's endpoint and badge, not the handle.
  abi::Handle pager = TRY(user::handle_duplicate(caps_.pager_mint, abi::kRightWrite, pid));
  Result<abi::Handle> task = user::task_create(pager, caps_.deaths, death_bit);
  (void)user::handle_close(pager);
  if (!task.ok()) return Err(task.error());
  *reason = "mm refused the space";
  if (Result<void> space = give_space(*task, pid, page_quota); !space.ok()) {
    (void)user::task_kill(*task, -1);
    (void)user::handle_close(*task);
    return Err(space.error());
  }
  return *task;
}

Result<void> SyscallProcessKernel::give_space(abi::Handle task, uint64_t pid, uint64_t page_quota) {
  abi::Handle for_mm = TRY(user::handle_duplicate(task, abi::kRightMemory | abi::kRightTransfer));
  protocols::HandleSet handles;
  handles.add(for_mm);
  TRY(mm_.create_space({pid, page_quota}, &handles));
  return success();
}

auto SyscallProcessKernel::send_slice(const SliceDelivery& delivery, const char** reason)
    -> Result<uint64_t> {
  ServiceUnlocked unlocked;  // a network round trip: the slice receiver may work meanwhile
  *reason = "net is not running";
  slices::net::Client* net = TRY(slices::slice_net());
  *reason = "cannot reach pm on the destination";
  slices::SliceChannel channel =
      TRY(slices::SliceChannel::connect(*net, delivery.ip, slices::kProcessSlicePort));
  Result<uint64_t> sent = exchange(channel, delivery, reason);
  channel.close();
  return sent;
}

auto SyscallProcessKernel::exchange(slices::SliceChannel& channel, const SliceDelivery& delivery,
                                    const char** reason) -> Result<uint64_t> {
  *reason = "the connection to the destination broke";
  TRY(channel.write_small_slice(slices::SliceKind::kProcess, delivery.migration_id, delivery.pid,
                                delivery.body.data(), delivery.body.size()));
  *reason = "the destination did not acknowledge the slice";
  slices::SliceAck ack = TRY(channel.read_ack());
  if (ack.error != 0) {
    __builtin_memcpy(ack_reason_, ack.reason, sizeof(ack_reason_));
    *reason = ack_reason_;
    return Err(static_cast<Error>(ack.error));
  }
  return sizeof(slices::SliceHeader) + delivery.body.size() + sizeof(slices::SliceAck);
}

auto SyscallProcessKernel::launch(const Launch& launch, const char** reason) -> Result<Launched> {
  const pm_protocol::SpawnRequest& request = launch.request;
  bool privileged = launch.process.privileged;
  ProcessSpec spec;
  spec.pid = launch.process.pid;
  spec.node = user::process_start().node;
  spec.modules = reinterpret_cast<const abi::BootModuleTable*>(abi::kBootModuleTableAddress);
  spec.module = request.module;  // checked NUL-terminated; Process::name may be cut short
  spec.pager_source = caps_.pager_mint;
  spec.death_notification = caps_.deaths;
  spec.death_bits = launch.death_bit;
  spec.priority = launch.priority;
  // Threads that pm does not know of could not be migrated: only servers may make them.
  spec.self_task_rights = abi::kRightRead | abi::kRightWrite;
  if (privileged) spec.self_task_rights |= abi::kRightControl;
  spec.names = {caps_.names_mint, abi::kRightWrite | abi::kRightTransfer, spec.pid};
  spec.process_manager = {caps_.endpoint, abi::kRightWrite, spec.pid};
  spec.console = {launch.console, abi::kRightWrite, spec.pid};
  for (uint32_t i = 0; i < launch.capabilities.count; ++i) {
    abi::Handle h = launch.capabilities.values[i];
    Result<abi::HandleInfo> info = user::handle_info(h);
    if (!info.ok()) {
      *reason = "a capability handle is not valid";
      return Err(info.error());
    }
    spec.capabilities[spec.capability_count++] = {request.capability_names[i],
                                                  {h, info->rights, 0}};
  }
  spec.arguments = request.arguments;
  spec.argument_bytes = request.argument_bytes;
  spec.argument_count = request.argument_count;
  BuiltProcess built = TRY(build_process(user::process_start().self_task, mm_, spec, reason));
  return Launched{built.task, built.thread};
}

// The reaper thread: turns death-notification bits into reap calls to pm's own loop, so
// that every change of the table happens on the main thread.
struct Reaper {
  abi::Handle deaths;
  protocols::pm::Client pm;
};

void reaper_main(void* argument) {
  auto* reaper = static_cast<Reaper*>(argument);
  for (;;) {
    Result<uint64_t> bits = user::notification_wait(reaper->deaths);
    if (!bits.ok()) {
      user::print("pm: reaper: notification failed: %s\n", error_name(bits.error()));
      return;
    }
    if (Result<protocols::Empty> reaped = reaper->pm.reap({*bits}); !reaped.ok()) {
      user::print("pm: reaper: %s\n", reaper->pm.last_reason());
    }
  }
}

// The slice receiver: takes one process slice per connection and installs it under the
// service lock; the ack says whether it took.
struct SliceReceiver {
  ProcessService* service;
  uint8_t body[kSliceBodyMax];
};

void receive_process_slice(slices::SliceChannel& channel, void* context) {
  auto* receiver = static_cast<SliceReceiver*>(context);
  Result<slices::SliceHeader> header = channel.read_header(slices::SliceKind::kProcess);
  if (!header.ok()) {
    (void)channel.write_ack(header.error(), 0, "not a process slice");
    return;
  }
  if (header->body_bytes > sizeof(receiver->body)) {
    (void)channel.write_ack(Error::kBadFormat, 0, "slice larger than any process slice");
    return;
  }
  size_t length = static_cast<size_t>(header->body_bytes);
  if (!channel.read_exact(receiver->body, length).ok()) return;  // the sender is gone
  char reason[sizeof(slices::SliceAck::reason)] = {};
  Result<void> received = success();
  {
    user::LockGuard guard(g_service_lock);
    const char* why = nullptr;
    received = receiver->service->receive_slice(header->pid, header->migration_id,
                                                {receiver->body, length}, &why);
    // Copied while the lock is held: `why` may point into the service.
    for (size_t i = 0; why != nullptr && why[i] != '\0' && i + 1 < sizeof(reason); ++i) {
      reason[i] = why[i];
    }
  }
  if (!received.ok()) {
    user::print("pm: refused the slice of pid %lx: %s\n", header->pid, reason);
  }
  (void)channel.write_ack(received.ok() ? Error::kOk : received.error(), 0, reason);
}

Result<Capabilities> take_capabilities(int argc, char** argv) {
  const abi::ProcessStart& start = user::process_start();
  Capabilities caps{};
  caps.endpoint = start.process_manager;
  caps.names_mint = start.names;
  caps.pager_mint = pm_protocol::find_capability(argc, argv, "pager");
  caps.mm = pm_protocol::find_capability(argc, argv, "mm");
  caps.ipcm = pm_protocol::find_capability(argc, argv, "ipcm");  // absent in test images
  if (caps.endpoint == abi::kNoHandle || caps.names_mint == abi::kNoHandle ||
      caps.pager_mint == abi::kNoHandle || caps.mm == abi::kNoHandle) {
    return Err(Error::kNotFound);
  }
  caps.names =
      TRY(user::handle_duplicate(caps.names_mint, abi::kRightWrite, protocols::kSystemBadge));
  caps.deaths = TRY(user::notification_create());
  return caps;
}

}  // namespace
}  // namespace atoll_os::servers::pm

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::pm;
  Result<Capabilities> caps = take_capabilities(argc, argv);
  if (!caps.ok()) user::fatal("missing capabilities (endpoint, names, mm, pager)");
  static Capabilities capabilities = *caps;
  static SyscallProcessKernel kernel(capabilities);
  static ProcessService service(kernel, user::process_start().node, &kernel);
  service.set_node_features(servers::read_cpu_features());

  Result<abi::Handle> reaper_handle =
      user::handle_duplicate(capabilities.endpoint, abi::kRightWrite, protocols::pm::kReaperBadge);
  if (!reaper_handle.ok()) user::fatal("cannot make the reaper's handle");
  static Reaper reaper{capabilities.deaths, protocols::pm::Client(*reaper_handle)};
  if (!user::spawn_thread(reaper_main, &reaper, 16 * 1024, kPmPriority).ok()) {
    user::fatal("cannot start the reaper thread");
  }

  static SliceReceiver receiver{&service, {}};
  if (!servers::migration::start_slice_receiver(servers::migration::kProcessSlicePort,
                                                receive_process_slice, &receiver, kPmPriority)
           .ok()) {
    user::fatal("cannot start the slice receiver thread");
  }

  user::print("pm: serving node %lu\n", user::process_start().node);
  Result<void> served = user::serve(capabilities.endpoint, [&](abi::Message& message) {
    user::LockGuard guard(g_service_lock);
    return servers::handle_request(message, [&](abi::Message& m, protocols::Call& call) {
      return protocols::pm::dispatch(service, m, call);
    });
  });
  user::print("pm: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
