// `ctl`: boot one node, run commands through its control channel, print the replies, stop.
#include <cstdio>

#include "cli/commands.h"
#include "cli/control_session.h"
#include "hostlib/node.h"

namespace atoll_os::host::cli {
namespace {

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
    print_json_line(*reply);
    print_events(control);
    if (reply->bool_at("ok") != true) all_ok = false;
  }
  print_events_for(control, options.linger);
  node.stop();
  return all_ok ? 0 : 1;
}

}  // namespace atoll_os::host::cli
