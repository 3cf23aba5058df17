// `ctl`: boot one node, run commands through its control channel, print the replies, stop.
#include <cstdio>

#include "cli/commands.h"
#include "hostlib/node.h"

namespace atoll_os::host::cli {
namespace {

// Each command's reply normally comes in milliseconds; this is for a node under load.
constexpr auto kReplyTimeout = std::chrono::seconds(30);

// One JSON object per line, so the output can be piped into a JSON tool; replies and
// events are told apart by their "ok" and "event" members. Each reply comes first, then
// the events received while waiting for it.
void print_line(const JsonValue& line) {
  printf("%s\n", line.to_json().c_str());
  fflush(stdout);
}

void print_events(ControlChannel& control) {
  control.poll();
  for (const JsonValue& event : control.events()) print_line(event);
  control.clear_events();
}

// Prints the events that come within `linger` (output of the programs just started).
void linger(ControlChannel& control, std::chrono::milliseconds linger) {
  const auto deadline = Clock::now() + linger;
  for (auto now = Clock::now(); now < deadline; now = Clock::now()) {
    auto event =
        control.next_event(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    if (!event) return;
    print_line(*event);
  }
}

int fail_with_log(Node& node, const Failure& failure) {
  node.keep_run_dir();
  fprintf(stderr, "atoll-host ctl: %s\n%s", failure.describe().c_str(),
          node.failure_report(20).c_str());
  return 1;
}

}  // namespace

int ctl(const CliOptions& options) {
  if (options.positional.empty()) {
    return report(fail(Error::kInvalidArgument,
                       "usage: atoll-host ctl [--cmdline ...] [--linger S] COMMAND... "
                       "(one argument per command, e.g. ps 'run hello')"));
  }
  NodeConfig config = options.node;
  config.name = options.name.value_or("ctl");
  config.serial = SerialMode::kLogFile;
  config.control_channel = true;
  auto created = Node::create(config);
  if (!created) return report(created.failure());
  Node& node = **created;
  if (auto started = node.start(); !started) return fail_with_log(node, started.failure());
  fprintf(stderr, "atoll-host ctl: node booting; console in %s\n", node.files().serial_log.c_str());

  if (auto ready = node.wait_control_ready(options.timeout); !ready) {
    return fail_with_log(node, ready.failure());
  }
  ControlChannel& control = *node.control();
  if (auto ps = control.command_ok("ps", kReplyTimeout); !ps) {
    return fail_with_log(node, ps.failure());
  }
  bool all_ok = true;
  for (const std::string& command : options.positional) {
    auto reply = control.command(command, kReplyTimeout);
    if (!reply) return fail_with_log(node, reply.failure());
    print_line(*reply);
    print_events(control);
    if (reply->bool_at("ok") != true) all_ok = false;
  }
  linger(control, options.linger);
  node.stop();
  return all_ok ? 0 : 1;
}

}  // namespace atoll_os::host::cli
