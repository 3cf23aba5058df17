// `cluster up|status|down`: a cluster that runs on between commands, found through its
// state file.
#include <cstdio>

#include "cli/commands.h"
#include "cli/control_session.h"
#include "hostlib/cluster.h"

namespace atoll_os::host::cli {
namespace {

// `down` gives QEMU and the switch this long to end on SIGTERM before SIGKILL.
constexpr auto kStopGrace = std::chrono::seconds(2);
// `status` connects to a node that has long been running; ctl answers at once unless
// another client (a `console`) holds the socket.
constexpr auto kStatusConnectTimeout = std::chrono::seconds(2);
constexpr auto kStatusProbeTimeout = std::chrono::seconds(5);

constexpr const char* kUsage = "usage: atoll-host cluster up|status|down [OPTIONS]";

unsigned alive_nodes(const ClusterState& state) {
  unsigned alive = 0;
  for (const NodeRecord& node : state.nodes) alive += node.qemu.alive() ? 1 : 0;
  return alive;
}

// Refuses (true) while the cluster a state file describes still runs.
bool refuse_if_running(const BuildTree& tree) {
  auto state = read_cluster_state(tree.cluster_state());
  if (!state) {
    if (state.error() == Error::kNotFound) return false;
    fprintf(stderr, "atoll-host: %s\n  if no cluster runs, remove %s\n",
            state.failure().describe().c_str(), tree.cluster_state().c_str());
    return true;
  }
  const unsigned alive = alive_nodes(*state);
  if (alive == 0 && !state->vde_switch.alive()) return false;
  fprintf(stderr,
          "atoll-host: a cluster is already running (%u of %zu nodes alive, state in %s);\n"
          "  `tools/atoll cluster down` stops it\n",
          alive, state->nodes.size(), tree.cluster_state().c_str());
  return true;
}

void print_node(const NodeRecord& node) {
  printf("node %u  %s/%u  %s  pid %d\n", node.address.node, node.address.ip.c_str(),
         node.address.prefix_length, node.address.mac.c_str(), node.qemu.pid());
  printf("  console  %s\n  control  %s\n", node.serial_log.c_str(), node.control_socket.c_str());
  if (node.pcap) printf("  pcap     %s\n", node.pcap->c_str());
}

int fail_with_logs(Cluster& cluster, const BuildTree& tree, const Failure& failure) {
  std::error_code ec;
  std::filesystem::remove(tree.cluster_state(), ec);
  cluster.keep_run_dirs();
  fprintf(stderr, "atoll-host cluster up: %s\n%s", failure.describe().c_str(),
          cluster.failure_report(20).c_str());
  return 1;
}

int up(const CliOptions& options) {
  auto config = cluster_config(options);
  if (!config) return report_usage(config.failure());
  const BuildTree tree = BuildTree::configured();
  if (refuse_if_running(tree)) return 1;
  // The previous cluster's logs go: each `up` starts from an empty directory.
  std::error_code ec;
  std::filesystem::remove_all(tree.cluster_dir(), ec);
  config->run_root = tree.cluster_dir();
  config->detachable = true;
  auto created = Cluster::create(*config, tree);
  if (!created) return report(created.failure());
  Cluster& cluster = **created;
  fprintf(stderr, "atoll-host: starting %u nodes (%s) in %s\n", cluster.size(),
          accel_name(config->accel), tree.cluster_dir().c_str());
  if (auto started = cluster.start(); !started) {
    return fail_with_logs(cluster, tree, started.failure());
  }
  // Written before the wait, so that `down` finds the nodes even if this command is
  // interrupted while they boot.
  auto state = cluster.state();
  if (!state) return fail_with_logs(cluster, tree, state.failure());
  if (auto written = write_cluster_state(*state, tree.cluster_state()); !written) {
    return fail_with_logs(cluster, tree, written.failure());
  }
  if (auto ready = cluster.wait_ready(options.timeout); !ready) {
    return fail_with_logs(cluster, tree, ready.failure());
  }
  cluster.release();
  printf("cluster up: %u nodes answer on their control channels; switch %s\n", cluster.size(),
         state->socket_dir.c_str());
  for (const NodeRecord& node : state->nodes) print_node(node);
  return 0;
}

// One running node's `stats`, through a fresh connection to its control socket.
HostResult<JsonValue> ask_stats(const NodeRecord& node) {
  ControlChannel control =
      HOST_TRY(ControlChannel::connect(node.control_socket, kStatusConnectTimeout));
  // Connected late: whatever ctl sent while nobody listened is lost, and the first bytes
  // read may be the end of a line. ctl's ready event is long gone, so probe instead.
  if (auto probed = control.probe_ready(kStatusProbeTimeout); !probed) {
    return fail(probed.error(),
                probed.failure().message + " (is a `console` attached? ctl serves one client)");
  }
  return control.command_ok("stats", kReplyTimeout);
}

int status() {
  const BuildTree tree = BuildTree::configured();
  auto state = read_cluster_state(tree.cluster_state());
  if (!state) {
    if (state.error() != Error::kNotFound) return report(state.failure());
    printf("no cluster is up\n");
    return 1;
  }
  const bool switch_alive = state->vde_switch.alive();
  printf("switch  %s  pid %d  %s\n", switch_alive ? "running" : "GONE", state->vde_switch.pid(),
         state->socket_dir.c_str());
  bool all_up = switch_alive;
  for (const NodeRecord& node : state->nodes) {
    printf("node %u  %s  %s  ", node.address.node, node.address.ip.c_str(),
           node.address.mac.c_str());
    if (!node.qemu.alive()) {
      printf("DOWN  (console log %s)\n", node.serial_log.c_str());
      all_up = false;
      continue;
    }
    auto stats = ask_stats(node);
    if (stats) {
      printf("up  pid %d  %s\n", node.qemu.pid(), stats->to_json().c_str());
    } else {
      printf("running, ctl silent: %s\n", stats.failure().describe().c_str());
      all_up = false;
    }
  }
  return all_up ? 0 : 1;
}

int down() {
  const BuildTree tree = BuildTree::configured();
  auto state = read_cluster_state(tree.cluster_state());
  if (!state) {
    if (state.error() != Error::kNotFound) return report(state.failure());
    printf("no cluster is up\n");
    return 0;
  }
  bool all_gone = true;
  for (const NodeRecord& node : state->nodes) {
    const bool was_alive = node.qemu.alive();
    const bool gone = node.qemu.terminate(kStopGrace);
    all_gone = all_gone && gone;
    printf("node %u  %s\n", node.address.node,
           !gone ? "STILL RUNNING" : (was_alive ? "stopped" : "was already down"));
  }
  const bool switch_gone = state->vde_switch.terminate(kStopGrace);
  printf("switch  %s\n", switch_gone ? "stopped" : "STILL RUNNING");
  if (!all_gone || !switch_gone) return report(fail(Error::kBusy, "some processes would not end"));
  std::error_code ec;
  std::filesystem::remove(tree.cluster_state(), ec);
  printf("logs kept in %s until the next `cluster up`\n", tree.cluster_dir().c_str());
  return 0;
}

}  // namespace

int cluster(const CliOptions& options) {
  const std::string sub = options.positional.empty() ? "" : options.positional[0];
  if (options.positional.size() != 1) return report_usage(fail(Error::kInvalidArgument, kUsage));
  if (sub == "up") return up(options);
  if (sub == "status") return status();
  if (sub == "down") return down();
  return report_usage(fail(Error::kInvalidArgument, "unknown subcommand '" + sub + "'; " + kUsage));
}

}  // namespace atoll_os::host::cli
