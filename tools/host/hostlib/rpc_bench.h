// RPC benchmark (`bench rpc`) and the rpcbench runs it shares with the system tests: calls
// by name through ipcm on one node and between nodes, and one-way streams checked for order.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hostlib/cluster.h"
#include "hostlib/cluster_config.h"
#include "hostlib/guest_program.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

/// Starts `rpcbench ARGS` (a `serve` or `sink` run) and returns once it has registered its
/// name ("rpcbench: serving name=..."): a caller started before might not find it.
HostResult<GuestProgram> start_rpc_server(ControlChannel& ctl, const std::string& args,
                                          std::chrono::milliseconds timeout);

/// How rpcbench calls a server on its own node.
enum class LocalPath { kDirectIfLocal, kIpcmOnly };

/// `rpcbench serve NAME` on node `server` answering `warmup + count` calls, then `call NAME
/// warmup` (unless 0) and `call NAME count` on node `client`; the second call line
/// (samples, median_us, direct_calls, path). Server and client may be one node.
HostResult<KeyValueLine> rpc_round_trips(Cluster& cluster, unsigned client, unsigned server,
                                         const std::string& name, unsigned count, unsigned warmup,
                                         std::chrono::milliseconds timeout,
                                         LocalPath path = LocalPath::kDirectIfLocal);

/// A one-way stream's result lines: the sink's and each blast's, in `senders` order.
struct RpcStream {
  KeyValueLine sink;
  std::vector<KeyValueLine> blasts;
};

/// `rpcbench sink NAME S COUNT` on node `to`, then `blast NAME i COUNT` on node senders[i]
/// for each i, all at once; every program must exit with 0 within `timeout` (the sink only
/// does if each message arrived exactly once and in order) and print its result line.
HostResult<RpcStream> rpc_stream(Cluster& cluster, const std::vector<unsigned>& senders,
                                 unsigned to, const std::string& name, unsigned count,
                                 std::chrono::milliseconds timeout);

/// Checks a sink's line against `expected` messages: received equals it, and duplicates,
/// out_of_order and missing are 0. kBadFormat quoting the line otherwise (or if a key is
/// absent).
HostResult<void> check_sink(const KeyValueLine& sink, uint64_t expected);

/// The figures `tools/atoll bench rpc` reports.
struct RpcBenchResult {
  std::string accel;
  /// A call straight to the server's kernel endpoint on one node: absent if the calls did
  /// not take the direct path (then `notes` says so).
  std::optional<double> local_direct_rtt_us;
  double local_ipcm_rtt_us = 0;  // medians in the guest, through ipcm
  double remote_rtt_us = 0;
  double remote_msgs_per_s = 0;  // as the sink measured it
  uint64_t rtt_samples = 0;
  uint64_t stream_messages = 0;
  std::string notes;
};

/// What measure_rpc runs; the defaults are what `bench rpc` uses.
struct RpcBenchPlan {
  unsigned rtt_samples = 200;
  unsigned warmup_calls = 5;  // connect the link and fill caches before the timed calls
  unsigned stream_messages = 5000;
};

/// Starts a fresh two-node cluster from `config` (its node count is set to 2) and measures
/// calls on node 0 (direct, then through ipcm), calls node 0 -> node 1 and a stream node 0
/// -> node 1. `timeout` bounds
/// each step. On failure the run directories are kept and the message ends with the nodes'
/// reports.
HostResult<RpcBenchResult> measure_rpc(ClusterConfig config, const RpcBenchPlan& plan,
                                       std::chrono::milliseconds timeout);

/// results.json: local_direct_rtt_us (null when not measured), local_ipcm_rtt_us,
/// remote_rtt_us, remote_msgs_per_s, accel, and statistic, rtt_samples, stream_messages,
/// notes (when there are some).
std::string rpc_bench_json(const RpcBenchResult& result);
/// Writes rpc_bench_json(result) to `dir/results.json`, creating `dir`.
HostResult<std::filesystem::path> write_rpc_bench(const RpcBenchResult& result,
                                                  const std::filesystem::path& dir);

}  // namespace atoll_os::host
