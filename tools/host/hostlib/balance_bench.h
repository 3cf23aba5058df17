// `bench balance`: CPU-bound jobs started on node 0 of a four-node cluster, with the
// balancers off and then on; how long until all finish, and the migrations made.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "hostlib/cluster.h"
#include "hostlib/cluster_config.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

/// cpuburn's work per job in the benchmark: about 6 s of one TCG vCPU on a free host core
/// (some 700 million steps/s), so that eight on one node take 45-60 s (docs/benchmarks.md).
inline constexpr uint64_t kBalanceMillions = 4000;

struct BalanceBenchPlan {
  unsigned jobs = 8;
  uint64_t millions = 0;  // cpuburn's work per job
};

/// One batch: every job started on node 0, each polled on every node until it ended.
struct BalanceRun {
  double seconds = 0;       // first start to the last end (host clock)
  uint64_t migrations = 0;  // the balancers' successful migrations during it
  uint64_t failures = 0;
  unsigned nodes_used = 0;  // nodes that ran some job
  std::string peak;         // the most even placement of all jobs seen: "0:2 1:2 2:2 3:2"
};

struct BalanceBenchResult {
  BalanceBenchPlan plan;
  unsigned nodes = 0;
  BalanceRun off;
  BalanceRun on;
  double ratio = 0;  // on.seconds / off.seconds
  unsigned host_cpus = 0;
  std::string accel;
};

/// Runs `plan` on `cluster` with the balancers as they are (on or off), checks every job's
/// checksum and exit, and returns the batch's time. `timeout` bounds the whole batch.
HostResult<BalanceRun> run_balance_batch(Cluster& cluster, const BalanceBenchPlan& plan,
                                         std::chrono::milliseconds timeout);

/// Sends `balancer WORDS` to every node of `cluster`; fails naming a node that refuses.
HostResult<void> balancer_everywhere(Cluster& cluster, const std::string& words);

/// One fresh cluster from `config` (4 nodes): a batch with the balancers off (as they boot),
/// then `balancer on` on every node and a second batch.
HostResult<BalanceBenchResult> measure_balance(ClusterConfig config, const BalanceBenchPlan& plan,
                                               std::chrono::milliseconds batch_timeout);

/// results.json: seconds_off, seconds_on, ratio, migrations, and the plan and placement.
HostResult<std::filesystem::path> write_balance_bench(const BalanceBenchResult& result,
                                                      const std::filesystem::path& dir);

/// The one-line summary.
std::string balance_bench_summary(const BalanceBenchResult& result);

}  // namespace atoll_os::host
