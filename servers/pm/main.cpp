// pm, the process manager: starts processes from boot modules, gives them global PIDs,
// learns of their ends, and answers wait, kill and list.
//
// init starts pm with: its own endpoint (all rights) in ProcessStart::process_manager; the
// name service's endpoint (duplicable) in ProcessStart::names; capabilities "mm" (mm's
// endpoint badged kSystemBadge) and "pager" (mm's endpoint, duplicable, to mint each
// process's pager handle). pm calls mm and names, which never call pm; it never calls a
// process or ctl (console events go out as notification bits).
#include "../lib/process_builder.h"
#include "../lib/serve.h"
#include "atoll/abi/process.h"
#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/thread.h"
#include "process_service.h"

namespace atoll_os::servers::pm {
namespace {

namespace pm_protocol = protocols::pm;

struct Capabilities {
  abi::Handle endpoint;    // pm's own, all rights
  abi::Handle names_mint;  // the name service's endpoint, duplicable
  abi::Handle pager_mint;  // mm's endpoint, duplicable
  abi::Handle mm;          // mm's endpoint with the system badge
  abi::Handle names;       // the name service with the system badge
  abi::Handle deaths;      // notification every task pm creates signals when it ends
};

class SyscallProcessKernel final : public ProcessKernel {
 public:
  explicit SyscallProcessKernel(const Capabilities& caps)
      : caps_(caps), mm_(caps.mm), names_(caps.names) {}

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

 private:
  const Capabilities& caps_;
  protocols::mm::Client mm_;
  protocols::names::Client names_;
};

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

Result<Capabilities> take_capabilities(int argc, char** argv) {
  const abi::ProcessStart& start = user::process_start();
  Capabilities caps{};
  caps.endpoint = start.process_manager;
  caps.names_mint = start.names;
  caps.pager_mint = pm_protocol::find_capability(argc, argv, "pager");
  caps.mm = pm_protocol::find_capability(argc, argv, "mm");
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
  static ProcessService service(kernel, user::process_start().node);

  Result<abi::Handle> reaper_handle =
      user::handle_duplicate(capabilities.endpoint, abi::kRightWrite, protocols::pm::kReaperBadge);
  if (!reaper_handle.ok()) user::fatal("cannot make the reaper's handle");
  static Reaper reaper{capabilities.deaths, protocols::pm::Client(*reaper_handle)};
  if (!user::spawn_thread(reaper_main, &reaper, 16 * 1024, 20).ok()) {
    user::fatal("cannot start the reaper thread");
  }

  user::print("pm: serving node %lu\n", user::process_start().node);
  Result<void> served = user::serve(capabilities.endpoint, [&](abi::Message& message) {
    return servers::handle_request(message, [&](abi::Message& m, protocols::Call& call) {
      return protocols::pm::dispatch(service, m, call);
    });
  });
  user::print("pm: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
