// ctl, the control channel: the host drives the node over COM2 with one command per line
// and reads one JSON object per line back; ctl is also every process's console, turning
// their output into {"event":"output",...} lines.
//
// init has pm start it privileged with the capabilities "ioports" and "irq" (IRQ 3). ctl
// calls only pm, which never calls ctl: pm reports process ends by notification. No client
// can block ctl: console writes are one-way and never answered.
#include "../lib/serve.h"
#include "atoll/protocols/console.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/clock.h"
#include "atoll/user/console_protocol.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "atoll/user/thread.h"
#include "control.h"
#include "replies.h"

namespace atoll_os::servers::ctl {
namespace {

// The runtime's print() and this server must agree on the console's one label.
static_assert(protocols::console::Operation<protocols::console::Op::write>::kLabel ==
              protocol::kConsoleWrite);

/// The console protocol's handler: every write goes through the line buffers.
struct ConsoleService {
  Control& control;

  Result<protocols::OneWay> write(const protocols::console::WriteRequest& request,
                                  protocols::Call& call) {
    user::LockGuard guard(control.output_lock);
    control.lines.write(call.badge, {request.text, call.length});
    return protocols::OneWay{};
  }
};

// The UART, its interrupt, and the notification the command thread waits on.
Result<void> open_serial(Control& control, int argc, char** argv) {
  control.notification = TRY(user::notification_create());
  abi::Handle ioports = protocols::pm::find_capability(argc, argv, "ioports");
  control.irq = protocols::pm::find_capability(argc, argv, "irq");
  if (ioports == abi::kNoHandle || control.irq == abi::kNoHandle) return Err(Error::kNotFound);
  TRY(user::ioport_enable(ioports));
  if (!control.uart.present()) return Err(Error::kNotFound);
  control.uart.configure();
  TRY(user::irq_bind(control.irq, control.notification, kSerialBit));
  control.has_uart = true;
  return success();
}

// From now on pm gives every new process a console handle to `endpoint`.
Result<void> register_console(Control& control, abi::Handle endpoint) {
  protocols::HandleSet handles;
  handles.add(TRY(user::handle_duplicate(
      endpoint, abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer)));
  handles.add(
      TRY(user::handle_duplicate(control.notification, abi::kRightWrite | abi::kRightTransfer)));
  TRY(control.pm.register_console({}, &handles));
  return success();
}

}  // namespace
}  // namespace atoll_os::servers::ctl

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::ctl;
  static Control control;
  control.node = user::process_start().node;
  control.pm = protocols::pm::Client(user::process_start().process_manager);
  if (Result<void> serial = open_serial(control, argc, argv); !serial.ok()) {
    user::print("ctl: no control serial line (%s); replies go to the kernel log\n",
                error_name(serial.error()));
  }
  // The UART's wait for a held-back transmitter sleeps: make the sleep's notification now,
  // not mid-run, so that the node's kernel objects stay as they were after boot.
  (void)user::sleep_ns(0);
  Result<abi::Handle> endpoint = user::endpoint_create();
  if (!endpoint.ok()) user::fatal("cannot create the console endpoint");
  if (Result<void> r = register_console(control, *endpoint); !r.ok()) {
    user::print("ctl: pm refused the console: %s\n", control.pm.last_reason());
  }
  if (!user::spawn_thread(command_thread, &control, 64 * 1024, 20).ok()) {
    user::fatal("cannot start the command thread");
  }
  JsonWriter json(control.event_buffer, sizeof(control.event_buffer));
  {
    user::LockGuard guard(control.output_lock);
    render_ready(json, control.node);
    emit_locked(control, json.text());
  }
  static ConsoleService console{control};
  Result<void> served = user::serve(*endpoint, [&](abi::Message& message) {
    return servers::handle_request(message, [&](abi::Message& m, protocols::Call& call) {
      return protocols::console::dispatch(console, m, call);
    });
  });
  user::print("ctl: console endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
