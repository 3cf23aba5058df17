// `demo`: boot one node, show its console until the servers are up, then drive it through
// the control channel as a user would: processes started, printing, faulting, listed.
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/control_session.h"
#include "hostlib/node.h"

namespace atoll_os::host::cli {
namespace {

// Fast enough that the console appears to scroll live.
constexpr auto kFollowInterval = std::chrono::milliseconds(10);
// Time to let started programs print before the next command.
constexpr auto kSettle = std::chrono::milliseconds(1500);

struct DemoStep {
  const char* say;
  const char* command;
};

constexpr DemoStep kSteps[] = {
    {"the servers init started from its manifest", "ps"},
    {"a process prints through ctl", "run hello"},
    {"a counter with a running checksum", "run counter 5 100"},
    {"memory filled by demand paging through mm", "run memtouch 2M"},
    {"a faulting process is ended; nothing else is", "run fault"},
    {"two processes doing IPC round trips", "run pingpong 2000"},
    {"what is left", "ps"},
    {"memory: frames and kernel objects", "mem"},
};

// Prints the console lines from `next` on, each stamped with seconds since QEMU's launch.
void print_new_lines(const Node& node, size_t& next) {
  const auto& lines = node.log().lines();
  for (; next < lines.size(); ++next) {
    const Milliseconds t = lines[next].seen_at - node.launched_at().value_or(lines[next].seen_at);
    printf("[%8.3f] %s\n", t.count() / 1000.0, lines[next].text.c_str());
  }
  fflush(stdout);
}

// Shows the console until init has started ctl, then waits for ctl's ready event.
HostResult<void> follow_boot(Node& node, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t next = 0;
  while (node.running() && Clock::now() < deadline) {
    node.poll_log();
    print_new_lines(node, next);
    if (node.log().contains(LogPattern::substring("init: started ctl"))) break;
    std::this_thread::sleep_for(kFollowInterval);
  }
  HOST_TRY(node.wait_control_ready(timeout));
  node.poll_log();
  print_new_lines(node, next);
  return {};
}

int fail_with_log(Node& node, const Failure& failure) {
  node.keep_run_dir();
  fprintf(stderr, "atoll-host demo: %s\n%s", failure.describe().c_str(),
          node.failure_report(30).c_str());
  return 1;
}

}  // namespace

int demo(const CliOptions& options) {
  NodeConfig config = options.node;
  config.name = options.name.value_or("demo");
  config.serial = SerialMode::kLogFile;
  config.control_channel = true;
  auto created = Node::create(config);
  if (!created) return report(created.failure());
  Node& node = **created;
  printf("atoll-host demo: booting one node (%s); its serial console follows\n",
         accel_name(config.accel));
  if (auto started = node.start(); !started) return fail_with_log(node, started.failure());
  if (auto up = follow_boot(node, options.timeout); !up) return fail_with_log(node, up.failure());

  ControlChannel& control = *node.control();
  printf("\natoll-host demo: the node is up; driving it through its control channel (COM2)\n");
  for (const DemoStep& step : kSteps) {
    printf("\n# %s\n$ %s\n", step.say, step.command);
    auto reply = control.command(step.command, kReplyTimeout);
    if (!reply) return fail_with_log(node, reply.failure());
    print_json_line(*reply, "  ");
    print_events_for(control, kSettle, "  ");
  }
  node.stop();
  printf("\natoll-host demo: done; the whole console is in %s\n", node.files().serial_log.c_str());
  node.keep_run_dir();
  return 0;
}

}  // namespace atoll_os::host::cli
