// The balance benchmark: jobs on node 0, followed across the nodes until they all end.
#include "hostlib/balance_bench.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "hostlib/balancer.h"
#include "hostlib/bench_support.h"

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(500);

// The balancers' successful and failed migrations so far, summed over the nodes.
HostResult<std::pair<uint64_t, uint64_t>> migration_counts(Cluster& cluster) {
  std::pair<uint64_t, uint64_t> sum{0, 0};
  for (unsigned n = 0; n < cluster.size(); ++n) {
    BalancerAnswer a = HOST_TRY(balancer_command(*cluster.node(n).control(), "status"));
    if (!a.verdict.ok)
      return fail(Error::kInvalidArgument, "node " + std::to_string(n) + ": " + a.verdict.reason);
    sum.first += a.state.migrations;
    sum.second += a.state.failures;
  }
  return sum;
}

}  // namespace

HostResult<void> balancer_everywhere(Cluster& cluster, const std::string& words) {
  for (unsigned n = 0; n < cluster.size(); ++n) {
    BalancerAnswer a = HOST_TRY(balancer_command(*cluster.node(n).control(), words));
    if (!a.verdict.ok) {
      return fail(Error::kInvalidArgument, "node " + std::to_string(n) + " refused 'balancer " +
                                               words + "': " + a.verdict.reason);
    }
  }
  return {};
}

HostResult<BalanceRun> run_balance_batch(Cluster& cluster, const BalanceBenchPlan& plan,
                                         std::chrono::milliseconds timeout) {
  auto before = HOST_TRY(migration_counts(cluster));
  std::vector<ControlChannel*> nodes;
  for (unsigned n = 0; n < cluster.size(); ++n) nodes.push_back(cluster.node(n).control());
  const auto started = Clock::now();
  std::vector<uint64_t> pids;
  for (unsigned j = 0; j < plan.jobs; ++j) {
    JsonValue reply = HOST_TRY(
        nodes[0]->command_ok("run cpuburn " + std::to_string(plan.millions), kBenchReplyWait));
    auto pid = reply.uint64_at("pid");
    if (!pid) return fail(Error::kBadFormat, "no pid in " + reply.to_json());
    pids.push_back(*pid);
  }
  JobWatch watch(nodes, pids);
  BalanceRun run;
  size_t peak_score = 0;
  const auto deadline = started + timeout;
  while (!watch.all_done()) {
    if (Clock::now() > deadline) {
      return fail(Error::kTimedOut, std::to_string(watch.done()) + " of " +
                                        std::to_string(plan.jobs) + " jobs ended in time; " +
                                        "placement " + watch.placement());
    }
    HOST_TRY(watch.poll(kBenchReplyWait));
    // The most even placement of all the jobs: most nodes busy, then the fewest on one.
    std::map<unsigned, size_t> busy;
    for (const auto& [pid, node] : watch.where()) ++busy[node];
    size_t most = 0;
    for (const auto& [node, count] : busy) most = std::max(most, count);
    size_t score = busy.size() * 1000 - most;
    if (watch.where().size() == plan.jobs && score > peak_score) {
      peak_score = score;
      run.peak = watch.placement();
    }
    if (!watch.all_done()) std::this_thread::sleep_for(kPollInterval);
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  HOST_TRY(check_cpuburn_results(watch, plan.millions));
  std::set<unsigned> used;
  for (const auto& [pid, visited] : watch.visited()) used.insert(visited.begin(), visited.end());
  run.nodes_used = static_cast<unsigned>(used.size());
  auto after = HOST_TRY(migration_counts(cluster));
  run.migrations = after.first - before.first;
  run.failures = after.second - before.second;
  return run;
}

HostResult<BalanceBenchResult> measure_balance(ClusterConfig config, const BalanceBenchPlan& plan,
                                               std::chrono::milliseconds batch_timeout) {
  config.nodes = 4;
  return measure_on_cluster<BalanceBenchResult>(
      std::move(config), batch_timeout, [&](Cluster& cluster) -> HostResult<BalanceBenchResult> {
        BalanceBenchResult r;
        r.plan = plan;
        r.nodes = cluster.size();
        r.host_cpus = std::thread::hardware_concurrency();
        HOST_TRY(balancer_everywhere(cluster, "off"));
        r.off = HOST_TRY(run_balance_batch(cluster, plan, batch_timeout));
        HOST_TRY(balancer_everywhere(cluster, "on"));
        r.on = HOST_TRY(run_balance_batch(cluster, plan, batch_timeout));
        HOST_TRY(balancer_everywhere(cluster, "off"));
        r.ratio = r.off.seconds > 0 ? r.on.seconds / r.off.seconds : 0;
        return r;
      });
}

HostResult<std::filesystem::path> write_balance_bench(const BalanceBenchResult& r,
                                                      const std::filesystem::path& dir) {
  std::string json = "{\n";
  json += "  \"jobs\": " + std::to_string(r.plan.jobs) + ",\n";
  json += "  \"millions\": " + std::to_string(r.plan.millions) + ",\n";
  json += "  \"nodes\": " + std::to_string(r.nodes) + ",\n";
  json += "  \"seconds_off\": " + decimal_text(r.off.seconds, 2) + ",\n";
  json += "  \"seconds_on\": " + decimal_text(r.on.seconds, 2) + ",\n";
  json += "  \"ratio\": " + decimal_text(r.ratio, 3) + ",\n";
  json += "  \"migrations\": " + std::to_string(r.on.migrations) + ",\n";
  json += "  \"migration_failures\": " + std::to_string(r.on.failures) + ",\n";
  json += "  \"nodes_used_on\": " + std::to_string(r.on.nodes_used) + ",\n";
  json += "  \"peak_placement_on\": " + json_string(r.on.peak) + ",\n";
  json += "  \"host_cpus\": " + std::to_string(r.host_cpus) + ",\n";
  json += "  \"accel\": " + json_string(r.accel) + "\n}\n";
  return write_results_json(json, dir);
}

std::string balance_bench_summary(const BalanceBenchResult& r) {
  char line[400];
  snprintf(line, sizeof(line),
           "balance: %u x cpuburn %llu on node 0 of %u (%s, %u host CPUs): off %.1f s, on %.1f s "
           "(ratio %.2f; target < 0.40), %llu migrations (%llu failed), %u nodes used, peak %s",
           r.plan.jobs, static_cast<unsigned long long>(r.plan.millions), r.nodes, r.accel.c_str(),
           r.host_cpus, r.off.seconds, r.on.seconds, r.ratio,
           static_cast<unsigned long long>(r.on.migrations),
           static_cast<unsigned long long>(r.on.failures), r.on.nodes_used, r.on.peak.c_str());
  return line;
}

}  // namespace atoll_os::host
