// `balancer status|on|off|set KEY=VALUE...`: the same ctl command on every node of the
// running cluster, one line per node (docs/balancer.md).
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "hostlib/balancer.h"
#include "hostlib/build_tree.h"
#include "hostlib/cluster_state.h"

namespace atoll_os::host::cli {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(2);
constexpr char kUsage[] =
    "usage: balancer status|on|off | balancer set KEY=VALUE... (threshold=1.5 margin=0.5 "
    "interval=MS cooldown=MS settle=MS max_moves=N strategy=NAME)";

void print_state(const BalancerState& s) {
  printf(
      "node %u: %s threshold %s margin %s interval %llu ms cooldown %llu ms settle %llu ms "
      "max_moves %llu strategy %s; load %s, %llu decisions, %llu migrations, %llu failed; "
      "last: %s\n",
      s.node, s.enabled ? "on" : "off", s.threshold.c_str(), s.margin.c_str(),
      static_cast<unsigned long long>(s.interval_ms),
      static_cast<unsigned long long>(s.cooldown_ms), static_cast<unsigned long long>(s.settle_ms),
      static_cast<unsigned long long>(s.max_moves), s.strategy.c_str(), s.load.c_str(),
      static_cast<unsigned long long>(s.decisions), static_cast<unsigned long long>(s.migrations),
      static_cast<unsigned long long>(s.failures), s.last.empty() ? "-" : s.last.c_str());
}

}  // namespace

int balancer(const CliOptions& options) {
  if (options.positional.empty()) return report_usage(fail(Error::kInvalidArgument, kUsage));
  std::string words;
  for (const std::string& w : options.positional) words += (words.empty() ? "" : " ") + w;
  const BuildTree tree = BuildTree::configured();
  auto state = read_cluster_state(tree.cluster_state());
  if (!state) return report(state.failure());
  int status = 0;
  for (size_t i = 0; i < state->nodes.size(); ++i) {
    auto control = ControlChannel::connect(state->nodes[i].control_socket, kConnectTimeout);
    if (!control) {
      fprintf(stderr, "atoll-host: node %zu: %s\n", i, control.failure().message.c_str());
      status = 1;
      continue;
    }
    auto answer = balancer_command(*control, words);
    if (!answer) {
      fprintf(stderr, "atoll-host: node %zu: %s\n", i, answer.failure().message.c_str());
      status = 1;
    } else if (!answer->verdict.ok) {
      fprintf(stderr, "atoll-host: node %zu refused: %s\n", i, answer->verdict.reason.c_str());
      return 2;  // the same words are refused by every node: say it once
    } else {
      print_state(answer->state);
    }
  }
  return status;
}

}  // namespace atoll_os::host::cli
