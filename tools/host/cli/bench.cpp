// `bench boot|ipc|net|rpc`: measurements on one line, results.json for tracking over time.
#include <cstdio>

#include "cli/commands.h"
#include "hostlib/balance_bench.h"
#include "hostlib/boot_bench.h"
#include "hostlib/build_tree.h"
#include "hostlib/ipc_bench.h"
#include "hostlib/migrate_bench.h"
#include "hostlib/migrate_model_check.h"
#include "hostlib/net_bench.h"
#include "hostlib/pagestore_bench.h"
#include "hostlib/rpc_bench.h"

namespace atoll_os::host::cli {

namespace {

// Where `bench ipc|net|rpc` writes results.json: --out, or bench/KIND in the build tree.
std::filesystem::path results_dir(const CliOptions& options, const char* kind) {
  return options.out.value_or(BuildTree::configured().root() / "bench" / kind);
}

// The fresh two-node cluster that `bench net` and `bench rpc` measure on; --name or `name`.
HostResult<ClusterConfig> two_node_cluster(const CliOptions& options, const char* name) {
  CliOptions cluster_options = options;
  cluster_options.nodes = 2;
  ClusterConfig config = HOST_TRY(cluster_config(cluster_options));
  config.name = options.name.value_or(name);
  return config;
}

// `bench ipc`: instruction counts under -icount shift=0, nanoseconds under plain TCG.
int bench_ipc(const CliOptions& options) {
  NodeConfig config = options.node;
  config.name = options.name.value_or("bench-ipc");
  auto counted = measure_ipc(config, true, options.timeout);
  if (!counted) return report(counted.failure());
  auto timed = measure_ipc(config, false, options.timeout);
  if (!timed) return report(timed.failure());
  IpcBenchResult result{accel_name(config.accel), counted->roundtrip_ticks,
                        counted->null_syscall_ticks, timed->roundtrip_ns};
  auto file = write_ipc_bench(result, results_dir(options, "ipc"));
  if (!file) return report(file.failure());
  printf(
      "ipc (%s): call+reply round trip %lu instructions, %lu ns; null syscall %lu "
      "instructions  [%s]\n",
      result.accel.c_str(), (unsigned long)result.roundtrip_instructions,
      (unsigned long)result.roundtrip_ns, (unsigned long)result.null_syscall_instructions,
      file->c_str());
  return 0;
}

// `bench net`: a fresh two-node cluster, node 0 -> node 1.
int bench_net(const CliOptions& options) {
  auto config = two_node_cluster(options, "bench-net");
  if (!config) return report_usage(config.failure());
  auto result = measure_net(*config, NetBenchPlan{}, options.timeout);
  if (!result) return report(result.failure());
  auto file = write_net_bench(*result, results_dir(options, "net"));
  if (!file) return report(file.failure());
  printf(
      "net (%s): tcp %.2f MiB/s (median of %zu), udp rtt %.1f us, tcp rtt %.1f us, raw frames "
      "%.2f MiB/s (%lu of %lu lost)  [%s]\n",
      result->accel.c_str(), result->tcp_mib_per_s, result->tcp_runs_mib_per_s.size(),
      result->udp_rtt_us, result->tcp_rtt_us, result->raw_frames_mib_per_s,
      (unsigned long)result->raw.lost(), (unsigned long)result->raw.sent, file->c_str());
  return 0;
}

// `bench rpc`: a fresh two-node cluster; calls on node 0, node 0 -> node 1, and a stream.
int bench_rpc(const CliOptions& options) {
  auto config = two_node_cluster(options, "bench-rpc");
  if (!config) return report_usage(config.failure());
  auto result = measure_rpc(*config, RpcBenchPlan{}, options.timeout);
  if (!result) return report(result.failure());
  auto file = write_rpc_bench(*result, results_dir(options, "rpc"));
  if (!file) return report(file.failure());
  const std::string direct = result->local_direct_rtt_us
                                 ? decimal_text(*result->local_direct_rtt_us, 1) + " us"
                                 : std::string("not taken (see notes)");
  printf(
      "rpc (%s): local direct %s, local via ipcm %.1f us, remote %.1f us (medians of %lu), "
      "remote one-way %.0f msgs/s (%lu messages)  [%s]\n",
      result->accel.c_str(), direct.c_str(), result->local_ipcm_rtt_us, result->remote_rtt_us,
      (unsigned long)result->rtt_samples, result->remote_msgs_per_s,
      (unsigned long)result->stream_messages, file->c_str());
  return 0;
}

// `bench boot`: --runs boots of one node, timed to the banner and to "boot: complete".
int bench_boot(const CliOptions& options) {
  NodeConfig config = options.node;
  config.name = options.name.value_or("bench-boot");
  std::vector<BootSample> samples;
  for (int i = 0; i < options.runs; ++i) {
    auto sample = measure_boot(config, options.timeout);
    if (!sample) return report(sample.failure());
    fprintf(stderr, "run %d/%d: banner %.1f ms, boot complete %.1f ms\n", i + 1, options.runs,
            sample->banner_ms, sample->boot_complete_ms);
    samples.push_back(*sample);
  }
  const BootBenchResult result = summarize(accel_name(config.accel), std::move(samples));
  auto file = write_boot_bench(result, options.out.value_or(BuildTree::configured().boot_bench()));
  if (!file) return report(file.failure());
  printf("boot (%s, median of %d): banner %.1f ms, boot complete %.1f ms  [%s]\n",
         result.accel.c_str(), options.runs, result.banner_ms, result.boot_complete_ms,
         file->c_str());
  return 0;
}

// `bench migrate`: the strategy x size matrix on a fresh two-node cluster.
int bench_migrate(const CliOptions& options) {
  auto config = two_node_cluster(options, "bench-migrate");
  if (!config) return report_usage(config.failure());
  MigrateBenchPlan plan;
  plan.repeat = options.repeat;
  if (options.strategies == "all") {  // the whole matrix unless the options narrow it
    plan.sizes = all_strategies_sizes();
    plan.dirty = dirty_levels();
  }
  if (options.dirty) {
    auto dirty = parse_dirty(*options.dirty);
    if (!dirty) return report_usage(dirty.failure());
    plan.dirty = *dirty;
  }
  if (options.sizes) {
    auto sizes = parse_sizes(*options.sizes);
    if (!sizes) return report_usage(sizes.failure());
    plan.sizes = *sizes;
  }
  if (options.strategies) {
    auto strategies = parse_strategies(*options.strategies);
    if (!strategies) return report_usage(strategies.failure());
    plan.strategies = *strategies;
  }
  // The largest process and its copy on the destination must fit (256M: 640M nodes).
  if (options.node.memory == NodeConfig{}.memory) config->memory = {bench_node_memory(plan.sizes)};
  auto result = measure_migrations(*config, plan, options.timeout);
  if (!result) return report(result.failure());
  auto file = write_migrate_bench(*result, results_dir(options, "migrate"));
  if (!file) return report(file.failure());
  printf("%s\n%s\n[%s]\n", migrate_bench_summary(*result).c_str(),
         migrate_model_check(*result).c_str(), file->parent_path().c_str());
  for (const MigrateBenchRecord& r : result->records) {
    if (r.status == "failed") return 1;  // refused strategies are expected; failures are not
  }
  return 0;
}

// `bench pagestore`: put and get of 16 MiB of pages, node 1 -> the store on node 0.
int bench_pagestore(const CliOptions& options) {
  auto config = two_node_cluster(options, "bench-pagestore");
  if (!config) return report_usage(config.failure());
  constexpr uint64_t kBytes = 16ull << 20;
  auto result = measure_pagestore(*config, kBytes, options.timeout);
  if (!result) return report(result.failure());
  auto file = write_pagestore_bench(*result, results_dir(options, "pagestore"));
  if (!file) return report(file.failure());
  printf(
      "pagestore: %llu MiB of pages node 1 -> node 0: put %.2f MiB/s, get %.2f MiB/s (%s)\n[%s]\n",
      static_cast<unsigned long long>(result->bytes >> 20), result->put_mib_per_s,
      result->get_mib_per_s, result->accel.c_str(), file->c_str());
  return 0;
}

// `bench balance`: 8 cpuburn jobs on node 0 of a fresh 4-node cluster, balancers off then on.
int bench_balance(const CliOptions& options) {
  CliOptions cluster_options = options;
  cluster_options.nodes = 4;
  auto config = cluster_config(cluster_options);
  if (!config) return report_usage(config.failure());
  config->name = options.name.value_or("bench-balance");
  BalanceBenchPlan plan;
  plan.millions = kBalanceMillions;
  // One batch under TCG takes about a minute with the balancers off: allow ten.
  auto batch_timeout =
      std::max<std::chrono::milliseconds>(options.timeout * 5, std::chrono::minutes(10));
  auto result = measure_balance(*config, plan, batch_timeout);
  if (!result) return report(result.failure());
  auto file = write_balance_bench(*result, results_dir(options, "balance"));
  if (!file) return report(file.failure());
  printf("%s\n[%s]\n", balance_bench_summary(*result).c_str(), file->c_str());
  return 0;
}

}  // namespace

int bench(const CliOptions& options) {
  const std::string kind = options.positional.size() == 1 ? options.positional[0] : "";
  if (kind == "boot") return bench_boot(options);
  if (kind == "ipc") return bench_ipc(options);
  if (kind == "net") return bench_net(options);
  if (kind == "rpc") return bench_rpc(options);
  if (kind == "migrate") return bench_migrate(options);
  if (kind == "pagestore") return bench_pagestore(options);
  if (kind == "balance") return bench_balance(options);
  return report(fail(Error::kInvalidArgument,
                     "usage: atoll-host bench boot|ipc|net|rpc|migrate [--runs N] [--out DIR]"));
}

}  // namespace atoll_os::host::cli
