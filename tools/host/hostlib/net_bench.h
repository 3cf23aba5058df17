// Network benchmark (`bench net`) and the netbench runs it shares with the system tests: TCP
// transfers, UDP and TCP round trips and raw frames between two nodes of a cluster.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hostlib/bench_support.h"
#include "hostlib/cluster.h"
#include "hostlib/cluster_config.h"
#include "hostlib/guest_program.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

/// `netbench info` on one node: node, ip, rx_frames, tx_frames, rx_dropped, tx_dropped,
/// raw_rx_frames, raw_rx_bytes, raw_rx_ns, interrupts.
HostResult<KeyValueLine> netbench_info(ControlChannel& ctl, std::chrono::milliseconds timeout);

/// `netbench ping IP COUNT`; its "ping done sent=N answered=M" line. A program that ends with
/// 1 because some were lost still yields the line (kBadFormat only without one).
HostResult<KeyValueLine> netbench_ping(ControlChannel& ctl, const std::string& ip, unsigned count,
                                       std::chrono::milliseconds timeout);

/// Starts `netbench tcp-sink PORT` (or `tcp-echo` with `echo`) and returns once it listens:
/// a connection made before would be reset.
HostResult<GuestProgram> start_tcp_listener(ControlChannel& ctl, uint16_t port, bool echo,
                                            std::chrono::milliseconds timeout);

/// One TCP transfer's two result lines (bytes, checksum, ns, mib_per_s on each).
struct TcpTransfer {
  KeyValueLine sink;
  KeyValueLine sender;
};

/// `tcp-sink PORT` on node `to`, then `tcp-send IP PORT BYTES` on node `from`; both must
/// exit with 0 within `timeout` and print their result line.
HostResult<TcpTransfer> tcp_transfer(Cluster& cluster, unsigned from, unsigned to, uint16_t port,
                                     uint64_t bytes, std::chrono::milliseconds timeout);

/// `udp-echo PORT COUNT` on node `to` and `udp-rtt IP PORT COUNT` on node `from`; the
/// udp-rtt line (samples, median_us). The echo is killed if some datagram was lost.
HostResult<KeyValueLine> udp_round_trips(Cluster& cluster, unsigned from, unsigned to,
                                         uint16_t port, unsigned count,
                                         std::chrono::milliseconds timeout);

/// `tcp-echo PORT` on node `to` and `tcp-rtt IP PORT COUNT` on node `from`; the tcp-rtt line.
HostResult<KeyValueLine> tcp_round_trips(Cluster& cluster, unsigned from, unsigned to,
                                         uint16_t port, unsigned count,
                                         std::chrono::milliseconds timeout);

/// Raw frames from one node to another, as the receiver counted them.
struct RawFrames {
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t received_bytes = 0;
  uint64_t span_ns = 0;  // between the receiver's first and last raw frame

  /// Frames sent and not received (0 if the receiver counted more, from an earlier run).
  uint64_t lost() const { return sent > received ? sent - received : 0; }
};

/// `raw-send MAC COUNT` on node `from` to node `to`'s MAC, then `netbench info` on `to`
/// until its raw frame count stops growing. Expects no earlier raw frames at `to`.
HostResult<RawFrames> raw_frames(Cluster& cluster, unsigned from, unsigned to, uint64_t count,
                                 std::chrono::milliseconds timeout);

/// MiB/s for `bytes` in `ns`; 0 for no time.
double mib_per_s(uint64_t bytes, uint64_t ns);

/// The figures `tools/atoll bench net` reports.
struct NetBenchResult {
  std::string accel;
  std::vector<double> tcp_runs_mib_per_s;  // per transfer, as the sink measured it
  double tcp_mib_per_s = 0;                // median of tcp_runs_mib_per_s
  double udp_rtt_us = 0;                   // median in the guest
  uint64_t udp_rtt_samples = 0;
  double tcp_rtt_us = 0;  // median in the guest
  double raw_frames_mib_per_s = 0;
  RawFrames raw;
};

/// What measure_net runs; the defaults are what `bench net` uses.
struct NetBenchPlan {
  unsigned tcp_runs = 3;
  uint64_t tcp_bytes = 64ull << 20;
  unsigned rtt_samples = 200;
  uint64_t raw_frames = 20000;
};

/// Starts a fresh two-node cluster from `config` (its node count is set to 2) and measures
/// node 0 -> node 1. `timeout` bounds each step (boot, one transfer, one round-trip run). On
/// failure the run directories are kept and the message ends with the nodes' reports.
HostResult<NetBenchResult> measure_net(ClusterConfig config, const NetBenchPlan& plan,
                                       std::chrono::milliseconds timeout);

/// results.json: tcp_mib_per_s, raw_frames_mib_per_s, udp_rtt_us, tcp_rtt_us, accel, and
/// tcp_runs, udp_rtt_samples, raw_frames_sent, raw_frames_received, raw_frames_lost.
std::string net_bench_json(const NetBenchResult& result);
/// Writes net_bench_json(result) to `dir/results.json`, creating `dir`.
HostResult<std::filesystem::path> write_net_bench(const NetBenchResult& result,
                                                  const std::filesystem::path& dir);

}  // namespace atoll_os::host
