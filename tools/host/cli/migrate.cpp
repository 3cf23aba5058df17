// `migrate PID --to NODE`: moves a process of the running cluster (`cluster up`) and prints
// its migration record.
#include <charconv>
#include <cstdio>

#include "cli/commands.h"
#include "cli/control_session.h"
#include "hostlib/build_tree.h"
#include "hostlib/cluster_state.h"
#include "hostlib/migration.h"

namespace atoll_os::host::cli {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(2);

HostResult<uint64_t> parse_pid(const std::string& text) {
  uint64_t pid = 0;
  bool hex = text.rfind("0x", 0) == 0;
  const char* begin = text.data() + (hex ? 2 : 0);
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), pid, hex ? 16 : 10);
  if (ec != std::errc() || end != text.data() + text.size() || begin == end) {
    return fail(Error::kInvalidArgument, "PID is a decimal or 0x number, not '" + text + "'");
  }
  return pid;
}

// The node that runs `pid`: the first whose ctl lists it as running.
HostResult<unsigned> node_running(const ClusterState& state, uint64_t pid) {
  for (unsigned i = 0; i < state.nodes.size(); ++i) {
    auto control = ControlChannel::connect(state.nodes[i].control_socket, kConnectTimeout);
    if (control && runs_process(*control, pid)) return i;
  }
  return fail(Error::kNotFound, "no node of the cluster runs that PID");
}

void print_phases(const MigrationRecord& r) {
  auto ms = [](uint64_t ns) { return static_cast<double>(ns) / 1e6; };
  printf("  %-10s %10s\n", "phase", "ms");
  printf("  %-10s %10.3f\n", "negotiate", ms(r.negotiate_ns));
  printf("  %-10s %10.3f\n", "freeze", ms(r.freeze_step_ns));
  printf("  %-10s %10.3f\n", "memory", ms(r.memory_ns));
  printf("  %-10s %10.3f\n", "ports", ms(r.ports_ns));
  printf("  %-10s %10.3f\n", "process", ms(r.process_ns));
  printf("  %-10s %10.3f\n", "commit", ms(r.commit_ns));
  printf("  %-10s %10.3f\n", "release", ms(r.release_ns));
  printf("  %-10s %10.3f   (frozen %.3f ms; %llu bytes, %llu pages sent)\n", "total",
         ms(r.total_ns), ms(r.freeze_ns), static_cast<unsigned long long>(r.bytes_sent),
         static_cast<unsigned long long>(r.pages_sent));
  if (!r.auto_reason.empty())
    printf("  auto chose %s: %s\n", r.strategy.c_str(), r.auto_reason.c_str());
}

}  // namespace

int migrate(const CliOptions& options) {
  if (options.positional.size() != 1 || !options.to) {
    return report_usage(fail(Error::kInvalidArgument,
                             "usage: migrate PID --to NODE [--strategy eager] [--from NODE]"));
  }
  auto pid = parse_pid(options.positional[0]);
  if (!pid) return report_usage(pid.failure());
  const BuildTree tree = BuildTree::configured();
  auto state = read_cluster_state(tree.cluster_state());
  if (!state) return report(state.failure());
  if (*options.to != kAnyNode && *options.to >= state->nodes.size()) {
    return report_usage(fail(Error::kInvalidArgument, "the cluster has nodes 0 to " +
                                                          std::to_string(state->nodes.size() - 1)));
  }
  auto source = options.from ? HostResult<unsigned>(*options.from) : node_running(*state, *pid);
  if (!source) return report(source.failure());
  if (*source >= state->nodes.size()) {
    return report_usage(fail(Error::kInvalidArgument, "--from names no node of the cluster"));
  }
  auto control = ControlChannel::connect(state->nodes[*source].control_socket, kConnectTimeout);
  if (!control) return report(control.failure());
  auto record = host::migrate(*control, *pid, *options.to, options.strategy);
  if (!record) return report(record.failure());
  printf("%s\n", describe(*record).c_str());
  if (!record->ok) return 1;
  print_phases(*record);
  return 0;
}

}  // namespace atoll_os::host::cli
