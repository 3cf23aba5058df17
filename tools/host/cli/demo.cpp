// `demo`: boot one node and show its console live, then how it ended.
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "hostlib/kernel_exit.h"
#include "hostlib/node.h"

namespace atoll_os::host::cli {
namespace {

// Fast enough that the console appears to scroll live.
constexpr auto kFollowInterval = std::chrono::milliseconds(10);

// Prints the lines from `next` on, each stamped with seconds since QEMU's launch.
void print_new_lines(const Node& node, size_t& next) {
  const auto& lines = node.log().lines();
  for (; next < lines.size(); ++next) {
    const Milliseconds t = lines[next].seen_at - node.launched_at().value_or(lines[next].seen_at);
    printf("[%8.3f] %s\n", t.count() / 1000.0, lines[next].text.c_str());
  }
  fflush(stdout);
}

}  // namespace

int demo(const CliOptions& options) {
  NodeConfig config = options.node;
  config.name = options.name.value_or("demo");
  config.cmdline = config.cmdline.empty() ? "exit_after_boot" : config.cmdline + " exit_after_boot";
  config.serial = SerialMode::kLogFile;
  auto created = Node::create(config);
  if (!created) return report(created.failure());
  Node& node = **created;
  printf("atoll-host demo: booting one node (%s, cmdline \"%s\")\n", accel_name(config.accel),
         config.cmdline.c_str());
  if (auto started = node.start(); !started) return report(started.failure());

  const auto deadline = Clock::now() + options.timeout;
  size_t next = 0;
  while (node.running() && Clock::now() < deadline) {
    node.poll_log();
    print_new_lines(node, next);
    std::this_thread::sleep_for(kFollowInterval);
  }
  const bool timed_out = node.running();
  const ExitStatus status = node.stop();  // reads the rest of the log
  print_new_lines(node, next);
  if (timed_out) {
    node.keep_run_dir();
    printf("atoll-host demo: no exit within %lld s; stopped QEMU; log kept in %s\n",
           static_cast<long long>(options.timeout.count()), node.run_dir().c_str());
    return 1;
  }
  const bool success = kernel_exit_of(status) == KernelExit::kSuccess;
  printf("atoll-host demo: QEMU %s\n", describe_node_exit(status).c_str());
  if (!success) {
    node.keep_run_dir();
    printf("atoll-host demo: log kept in %s\n", node.run_dir().c_str());
  }
  return success ? 0 : 1;
}

}  // namespace atoll_os::host::cli
