// The netbench runs between cluster nodes, measure_net and the network benchmark's JSON.
#include "hostlib/net_bench.h"

#include <cstdio>
#include <thread>

#include "hostlib/bench_support.h"
#include "hostlib/node_address.h"

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;

// How often raw_frames asks the receiver for its count while frames may still arrive.
constexpr std::chrono::milliseconds kRawSettleInterval = std::chrono::milliseconds(500);

}  // namespace

HostResult<KeyValueLine> netbench_info(ControlChannel& ctl, std::chrono::milliseconds timeout) {
  ProgramRun run = HOST_TRY(run_program(ctl, "netbench info", timeout));
  return result_line(run, "netbench: info ");
}

HostResult<KeyValueLine> netbench_ping(ControlChannel& ctl, const std::string& ip, unsigned count,
                                       std::chrono::milliseconds timeout) {
  ProgramRun run =
      HOST_TRY(run_program(ctl, "netbench ping " + ip + " " + std::to_string(count), timeout));
  // ping exits with 1 when some went unanswered; the done line says how many.
  if (run.exit.state == "exited" && run.exit.code == 1) run.exit.code = 0;
  return result_line(run, "netbench: ping done ");
}

HostResult<GuestProgram> start_tcp_listener(ControlChannel& ctl, uint16_t port, bool echo,
                                            std::chrono::milliseconds timeout) {
  const std::string mode = echo ? "tcp-echo " : "tcp-sink ";
  GuestProgram program =
      HOST_TRY(GuestProgram::start(ctl, "netbench " + mode + std::to_string(port), timeout));
  HOST_TRY(
      wait_until_ready(program, "netbench: tcp listening port=" + std::to_string(port), timeout));
  return program;
}

HostResult<TcpTransfer> tcp_transfer(Cluster& cluster, unsigned from, unsigned to, uint16_t port,
                                     uint64_t bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  GuestProgram sink =
      HOST_TRY(start_tcp_listener(*cluster.node(to).control(), port, false, timeout));
  const std::string command = "netbench tcp-send " + address_of(to).ip + " " +
                              std::to_string(port) + " " + std::to_string(bytes);
  HostResult<GuestProgram> sender =
      GuestProgram::start(*cluster.node(from).control(), command, kBenchReplyWait);
  if (!sender) {
    (void)sink.kill(kBenchReplyWait);
    return sender.failure();
  }
  HostResult<KeyValueLine> sent =
      result_line_at_exit(*sender, "netbench: tcp-send ", time_left(deadline));
  // The sink ends when the sender closes; after a failed sender it may wait for nothing.
  HostResult<KeyValueLine> received = result_line_at_exit(
      sink, "netbench: tcp-sink ", sent ? time_left(deadline) : std::chrono::seconds(5));
  if (!sent) return sent.failure();
  if (!received) return received.failure();
  return TcpTransfer{received.release_value(), sent.release_value()};
}

HostResult<KeyValueLine> udp_round_trips(Cluster& cluster, unsigned from, unsigned to,
                                         uint16_t port, unsigned count,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  GuestProgram echo = HOST_TRY(GuestProgram::start(
      *cluster.node(to).control(),
      "netbench udp-echo " + std::to_string(port) + " " + std::to_string(count), kBenchReplyWait));
  HOST_TRY(wait_until_ready(echo, "netbench: udp-echo listening", timeout));
  const std::string command = "netbench udp-rtt " + address_of(to).ip + " " + std::to_string(port) +
                              " " + std::to_string(count);
  HostResult<ProgramRun> run =
      run_program(*cluster.node(from).control(), command, time_left(deadline));
  // The echo ends by itself after `count` datagrams; one lost on the way there keeps it.
  if (!echo.wait_exit(std::chrono::seconds(2))) (void)echo.kill(kBenchReplyWait);
  if (!run) return run.failure();
  return result_line(*run, "netbench: udp-rtt ");
}

HostResult<KeyValueLine> tcp_round_trips(Cluster& cluster, unsigned from, unsigned to,
                                         uint16_t port, unsigned count,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  GuestProgram echo =
      HOST_TRY(start_tcp_listener(*cluster.node(to).control(), port, true, timeout));
  const std::string command = "netbench tcp-rtt " + address_of(to).ip + " " + std::to_string(port) +
                              " " + std::to_string(count);
  HostResult<ProgramRun> run =
      run_program(*cluster.node(from).control(), command, time_left(deadline));
  // tcp-echo ends when tcp-rtt closes the connection.
  if (!echo.wait_exit(run ? time_left(deadline) : std::chrono::seconds(2))) {
    (void)echo.kill(kBenchReplyWait);
  }
  if (!run) return run.failure();
  return result_line(*run, "netbench: tcp-rtt ");
}

HostResult<RawFrames> raw_frames(Cluster& cluster, unsigned from, unsigned to, uint64_t count,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ControlChannel& receiver = *cluster.node(to).control();
  const std::string command =
      "netbench raw-send " + address_of(to).mac + " " + std::to_string(count);
  ProgramRun run = HOST_TRY(run_program(*cluster.node(from).control(), command, timeout));
  KeyValueLine sent = HOST_TRY(result_line(run, "netbench: raw-send "));
  RawFrames frames;
  frames.sent = HOST_TRY(sent.unsigned_at("frames"));
  // Frames may still be on their way: wait until two readings agree.
  uint64_t previous = UINT64_MAX;
  for (;;) {
    KeyValueLine info = HOST_TRY(netbench_info(receiver, time_left(deadline)));
    frames.received = HOST_TRY(info.unsigned_at("raw_rx_frames"));
    frames.received_bytes = HOST_TRY(info.unsigned_at("raw_rx_bytes"));
    frames.span_ns = HOST_TRY(info.unsigned_at("raw_rx_ns"));
    if (frames.received == previous || frames.received >= frames.sent) return frames;
    if (Clock::now() >= deadline) return frames;
    previous = frames.received;
    std::this_thread::sleep_for(kRawSettleInterval);
  }
}

double mib_per_s(uint64_t bytes, uint64_t ns) {
  if (ns == 0) return 0;
  return static_cast<double>(bytes) / (1 << 20) / (static_cast<double>(ns) / 1e9);
}

namespace {

HostResult<NetBenchResult> measure_on(Cluster& cluster, const NetBenchPlan& plan,
                                      std::chrono::milliseconds timeout) {
  NetBenchResult result;
  // Fills both nodes' ARP caches, so that no measurement waits for a resolution.
  KeyValueLine ping =
      HOST_TRY(netbench_ping(*cluster.node(0).control(), address_of(1).ip, 2, timeout));
  if (HOST_TRY(ping.unsigned_at("answered")) == 0) {
    return fail(Error::kNotFound, "node 1 does not answer ping: " + ping.line());
  }
  uint16_t port = 5001;
  for (unsigned i = 0; i < plan.tcp_runs; ++i) {
    TcpTransfer transfer = HOST_TRY(tcp_transfer(cluster, 0, 1, port++, plan.tcp_bytes, timeout));
    if (HOST_TRY(transfer.sink.unsigned_at("bytes")) != plan.tcp_bytes ||
        HOST_TRY(transfer.sink.text("checksum")) != HOST_TRY(transfer.sender.text("checksum"))) {
      return fail(Error::kBadFormat, "the sink did not get what was sent: " +
                                         transfer.sender.line() + " / " + transfer.sink.line());
    }
    result.tcp_runs_mib_per_s.push_back(HOST_TRY(transfer.sink.decimal_at("mib_per_s")));
    fprintf(stderr, "tcp run %u/%u: %s MiB/s\n", i + 1, plan.tcp_runs,
            decimal_text(result.tcp_runs_mib_per_s.back(), 2).c_str());
  }
  result.tcp_mib_per_s = median(result.tcp_runs_mib_per_s);
  KeyValueLine udp = HOST_TRY(udp_round_trips(cluster, 0, 1, port++, plan.rtt_samples, timeout));
  result.udp_rtt_us = HOST_TRY(udp.decimal_at("median_us"));
  result.udp_rtt_samples = HOST_TRY(udp.unsigned_at("samples"));
  KeyValueLine tcp = HOST_TRY(tcp_round_trips(cluster, 0, 1, port++, plan.rtt_samples, timeout));
  result.tcp_rtt_us = HOST_TRY(tcp.decimal_at("median_us"));
  result.raw = HOST_TRY(raw_frames(cluster, 0, 1, plan.raw_frames, timeout));
  result.raw_frames_mib_per_s = mib_per_s(result.raw.received_bytes, result.raw.span_ns);
  return result;
}

}  // namespace

HostResult<NetBenchResult> measure_net(ClusterConfig config, const NetBenchPlan& plan,
                                       std::chrono::milliseconds timeout) {
  config.nodes = 2;
  return measure_on_cluster<NetBenchResult>(std::move(config), timeout, [&](Cluster& cluster) {
    return measure_on(cluster, plan, timeout);
  });
}

std::string net_bench_json(const NetBenchResult& r) {
  std::string runs;
  for (size_t i = 0; i < r.tcp_runs_mib_per_s.size(); ++i) {
    runs += (i ? ", " : "") + decimal_text(r.tcp_runs_mib_per_s[i], 2);
  }
  std::string json = "{\n";
  json += "  \"tcp_mib_per_s\": " + decimal_text(r.tcp_mib_per_s, 2) + ",\n";
  json += "  \"raw_frames_mib_per_s\": " + decimal_text(r.raw_frames_mib_per_s, 2) + ",\n";
  json += "  \"udp_rtt_us\": " + decimal_text(r.udp_rtt_us, 1) + ",\n";
  json += "  \"tcp_rtt_us\": " + decimal_text(r.tcp_rtt_us, 1) + ",\n";
  json += "  \"accel\": " + json_string(r.accel) + ",\n";
  json += "  \"statistic\": \"median\",\n";
  json += "  \"tcp_runs\": [" + runs + "],\n";
  json += "  \"udp_rtt_samples\": " + std::to_string(r.udp_rtt_samples) + ",\n";
  json += "  \"raw_frames_sent\": " + std::to_string(r.raw.sent) + ",\n";
  json += "  \"raw_frames_received\": " + std::to_string(r.raw.received) + ",\n";
  json += "  \"raw_frames_lost\": " + std::to_string(r.raw.lost()) + "\n";
  json += "}\n";
  return json;
}

HostResult<std::filesystem::path> write_net_bench(const NetBenchResult& result,
                                                  const std::filesystem::path& dir) {
  return write_results_json(net_bench_json(result), dir);
}

}  // namespace atoll_os::host
