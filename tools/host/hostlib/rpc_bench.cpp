// The rpcbench runs between cluster nodes, measure_rpc and the RPC benchmark's JSON.
#include "hostlib/rpc_bench.h"

#include "hostlib/bench_support.h"

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDirectPathNote =
    "local_direct_rtt_us is null: the calls on node 0 did not keep the direct path (ipcm "
    "refused it or revoked it), so they went through ipcm";

HostResult<KeyValueLine> run_calls(ControlChannel& ctl, const std::string& name, unsigned count,
                                   LocalPath path, std::chrono::milliseconds timeout) {
  std::string command = "rpcbench call " + name + " " + std::to_string(count);
  if (path == LocalPath::kIpcmOnly) command += " ipcm";
  ProgramRun run = HOST_TRY(run_program(ctl, command, timeout));
  return result_line(run, "rpcbench: call ");
}

}  // namespace

HostResult<GuestProgram> start_rpc_server(ControlChannel& ctl, const std::string& args,
                                          std::chrono::milliseconds timeout) {
  GuestProgram program = HOST_TRY(GuestProgram::start(ctl, "rpcbench " + args, kBenchReplyWait));
  HOST_TRY(wait_until_ready(program, "rpcbench: serving name=", timeout));
  return program;
}

HostResult<KeyValueLine> rpc_round_trips(Cluster& cluster, unsigned client, unsigned server,
                                         const std::string& name, unsigned count, unsigned warmup,
                                         std::chrono::milliseconds timeout, LocalPath path) {
  const auto deadline = Clock::now() + timeout;
  GuestProgram serve =
      HOST_TRY(start_rpc_server(*cluster.node(server).control(),
                                "serve " + name + " " + std::to_string(count + warmup), timeout));
  ControlChannel& ctl = *cluster.node(client).control();
  HostResult<KeyValueLine> calls = warmup == 0
                                       ? HostResult<KeyValueLine>(KeyValueLine{})
                                       : run_calls(ctl, name, warmup, path, time_left(deadline));
  if (calls) calls = run_calls(ctl, name, count, path, time_left(deadline));
  // The server ends by itself after its last answer; a failed caller leaves it waiting.
  HostResult<KeyValueLine> served = result_line_at_exit(
      serve, "rpcbench: serve ", calls ? time_left(deadline) : std::chrono::seconds(2));
  if (!calls) return calls.failure();
  if (!served) return served.failure();
  return calls;
}

HostResult<RpcStream> rpc_stream(Cluster& cluster, const std::vector<unsigned>& senders,
                                 unsigned to, const std::string& name, unsigned count,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  GuestProgram sink = HOST_TRY(start_rpc_server(
      *cluster.node(to).control(),
      "sink " + name + " " + std::to_string(senders.size()) + " " + std::to_string(count),
      timeout));
  std::vector<GuestProgram> blasts;
  for (size_t i = 0; i < senders.size(); ++i) {
    const std::string command =
        "rpcbench blast " + name + " " + std::to_string(i) + " " + std::to_string(count);
    HostResult<GuestProgram> blast =
        GuestProgram::start(*cluster.node(senders[i]).control(), command, kBenchReplyWait);
    if (!blast) {
      for (GuestProgram& started : blasts) (void)started.kill(kBenchReplyWait);
      (void)sink.kill(kBenchReplyWait);
      return blast.failure();
    }
    blasts.push_back(blast.release_value());
  }
  RpcStream stream;
  std::optional<Failure> failed;
  for (GuestProgram& blast : blasts) {
    HostResult<KeyValueLine> sent =
        result_line_at_exit(blast, "rpcbench: blast ", time_left(deadline));
    if (sent) {
      stream.blasts.push_back(sent.release_value());
    } else if (!failed) {
      failed = sent.failure();
    }
  }
  // The sink ends once everything arrived, or after 20 s without a message.
  HostResult<KeyValueLine> received = result_line_at_exit(
      sink, "rpcbench: sink ", failed ? std::chrono::seconds(25) : time_left(deadline));
  if (failed) return *failed;
  if (!received) return received.failure();
  stream.sink = received.release_value();
  return stream;
}

HostResult<void> check_sink(const KeyValueLine& sink, uint64_t expected) {
  const uint64_t received = HOST_TRY(sink.unsigned_at("received"));
  uint64_t wrong = 0;
  for (const char* key : {"duplicates", "out_of_order", "missing"}) {
    wrong += HOST_TRY(sink.unsigned_at(key));
  }
  if (received != expected || wrong != 0) {
    return fail(Error::kBadFormat, "the sink expected " + std::to_string(expected) +
                                       " messages, each once and in order: '" + sink.line() + "'");
  }
  return {};
}

namespace {

HostResult<RpcBenchResult> measure_on(Cluster& cluster, const RpcBenchPlan& plan,
                                      std::chrono::milliseconds timeout) {
  RpcBenchResult result;
  KeyValueLine local = HOST_TRY(rpc_round_trips(cluster, 0, 0, "bench-local", plan.rtt_samples,
                                                plan.warmup_calls, timeout, LocalPath::kIpcmOnly));
  result.local_ipcm_rtt_us = HOST_TRY(local.decimal_at("median_us"));
  KeyValueLine direct = HOST_TRY(
      rpc_round_trips(cluster, 0, 0, "bench-direct", plan.rtt_samples, plan.warmup_calls, timeout));
  if (HOST_TRY(direct.text("path")) == "direct") {
    result.local_direct_rtt_us = HOST_TRY(direct.decimal_at("median_us"));
  } else {
    result.notes = kDirectPathNote;
  }
  KeyValueLine remote = HOST_TRY(
      rpc_round_trips(cluster, 0, 1, "bench-remote", plan.rtt_samples, plan.warmup_calls, timeout));
  result.remote_rtt_us = HOST_TRY(remote.decimal_at("median_us"));
  result.rtt_samples = HOST_TRY(remote.unsigned_at("samples"));
  RpcStream stream =
      HOST_TRY(rpc_stream(cluster, {0}, 1, "bench-sink", plan.stream_messages, timeout));
  HOST_TRY(check_sink(stream.sink, plan.stream_messages));
  result.remote_msgs_per_s = HOST_TRY(stream.sink.decimal_at("msgs_per_s"));
  result.stream_messages = plan.stream_messages;
  return result;
}

}  // namespace

HostResult<RpcBenchResult> measure_rpc(ClusterConfig config, const RpcBenchPlan& plan,
                                       std::chrono::milliseconds timeout) {
  config.nodes = 2;
  return measure_on_cluster<RpcBenchResult>(std::move(config), timeout, [&](Cluster& cluster) {
    return measure_on(cluster, plan, timeout);
  });
}

std::string rpc_bench_json(const RpcBenchResult& r) {
  const std::string direct =
      r.local_direct_rtt_us ? decimal_text(*r.local_direct_rtt_us, 1) : std::string("null");
  std::string json = "{\n";
  json += "  \"local_direct_rtt_us\": " + direct + ",\n";
  json += "  \"local_ipcm_rtt_us\": " + decimal_text(r.local_ipcm_rtt_us, 1) + ",\n";
  json += "  \"remote_rtt_us\": " + decimal_text(r.remote_rtt_us, 1) + ",\n";
  json += "  \"remote_msgs_per_s\": " + decimal_text(r.remote_msgs_per_s, 0) + ",\n";
  json += "  \"accel\": " + json_string(r.accel) + ",\n";
  json += "  \"statistic\": \"median\",\n";
  json += "  \"rtt_samples\": " + std::to_string(r.rtt_samples) + ",\n";
  json += "  \"stream_messages\": " + std::to_string(r.stream_messages);
  if (!r.notes.empty()) json += ",\n  \"notes\": " + json_string(r.notes);
  json += "\n}\n";
  return json;
}

HostResult<std::filesystem::path> write_rpc_bench(const RpcBenchResult& result,
                                                  const std::filesystem::path& dir) {
  return write_results_json(rpc_bench_json(result), dir);
}

}  // namespace atoll_os::host
