// `top [--once]`: a live view of the running cluster as its traders see it — every node's
// load, memory, processes and outgoing migrations — refreshed every second; --once prints
// one snapshot (for scripts and tests).
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "hostlib/build_tree.h"
#include "hostlib/cluster_state.h"
#include "hostlib/trader.h"

namespace atoll_os::host::cli {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(2);
constexpr auto kAnswerTimeout = std::chrono::seconds(5);
constexpr auto kRefresh = std::chrono::seconds(1);

// What one node's ctl says of itself: outgoing migrations (stats); nothing if silent.
std::optional<uint64_t> migrating(ControlChannel& control) {
  auto stats = control.command_ok("stats", kAnswerTimeout);
  if (!stats) return std::nullopt;
  return stats->uint64_at("migrating");
}

// One snapshot: the view of the first node that answers, plus each node's own figures.
int print_snapshot(const ClusterState& state) {
  std::optional<std::vector<TraderNode>> view;
  std::vector<std::optional<uint64_t>> moving(state.nodes.size());
  for (size_t i = 0; i < state.nodes.size(); ++i) {
    auto control = ControlChannel::connect(state.nodes[i].control_socket, kConnectTimeout);
    if (!control) continue;
    moving[i] = migrating(*control);
    if (!view) {
      if (auto v = trader_view(*control, kAnswerTimeout)) view = std::move(*v);
    }
  }
  if (!view) {
    fprintf(stderr, "atoll-host: no node's trader answered\n");
    return 1;
  }
  printf("%-4s %-7s %6s %10s %10s %6s %9s %7s  %s\n", "node", "isa", "load", "mem_free",
         "mem_total", "procs", "migrating", "age_ms", "features");
  for (size_t i = 0; i < state.nodes.size(); ++i) {
    const TraderNode* node = nullptr;
    for (const TraderNode& n : *view) node = n.node == i ? &n : node;
    std::string moves = moving[i] ? std::to_string(*moving[i]) : "-";
    if (node == nullptr) {
      printf("%-4zu %-7s %6s %10s %10s %6s %9s %7s  %s\n", i, "-", "-", "-", "-", "-",
             moves.c_str(), "-", "(not in the view: silent or still booting)");
      continue;
    }
    printf("%-4zu %-7s %6.2f %6llu MiB %6llu MiB %6llu %9s %7llu  %s\n", i, node->isa.c_str(),
           node->load, static_cast<unsigned long long>(node->mem_free_mib),
           static_cast<unsigned long long>(node->mem_total_mib),
           static_cast<unsigned long long>(node->processes), moves.c_str(),
           static_cast<unsigned long long>(node->age_ms), node->features.c_str());
  }
  return 0;
}

}  // namespace

int top(const CliOptions& options) {
  const BuildTree tree = BuildTree::configured();
  auto state = read_cluster_state(tree.cluster_state());
  if (!state) return report(state.failure());
  if (options.once) return print_snapshot(*state);
  for (;;) {
    printf("\033[H\033[2J");  // home and clear: one screen per refresh
    if (print_snapshot(*state) != 0) return 1;
    fflush(stdout);
    std::this_thread::sleep_for(kRefresh);
  }
}

}  // namespace atoll_os::host::cli
