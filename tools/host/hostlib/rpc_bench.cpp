// The rpcbench runs between cluster nodes, measure_rpc and the RPC benchmark's JSON.
#include "hostlib/rpc_bench.h"

#include <cstdio>
#include <fstream>

#include "hostlib/boot_bench.h"
#include "hostlib/net_bench.h"

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;

// Lines of each node's logs in a failed benchmark's message.
constexpr size_t kReportLines = 40;
// Replies to `run` and `kill`: ctl answers in milliseconds, TCG nodes share the cores.
constexpr std::chrono::milliseconds kReplyWait = std::chrono::seconds(20);
constexpr const char* kDirectPathNote =
    "local_direct_rtt_us is null: the direct local path (a sender holding the receiver's "
    "kernel endpoint) is not built yet, so every local call goes through ipcm";

std::chrono::milliseconds until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

std::string decimal_text(double value, int digits) {
  char buf[48];
  snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The result line of a program already running, once it has exited; killed if it does not.
HostResult<KeyValueLine> finish(GuestProgram& program, std::string_view prefix,
                                std::chrono::milliseconds timeout) {
  HostResult<ProgramExit> exit = program.wait_exit(timeout);
  if (!exit) {
    (void)program.kill(kReplyWait);
    return exit.failure();
  }
  return result_line(ProgramRun{program.command_line(), program.pid(), program.lines(), *exit},
                     prefix);
}

HostResult<KeyValueLine> run_calls(ControlChannel& ctl, const std::string& name, unsigned count,
                                   std::chrono::milliseconds timeout) {
  ProgramRun run =
      HOST_TRY(run_program(ctl, "rpcbench call " + name + " " + std::to_string(count), timeout));
  return result_line(run, "rpcbench: call ");
}

}  // namespace

HostResult<GuestProgram> start_rpc_server(ControlChannel& ctl, const std::string& args,
                                          std::chrono::milliseconds timeout) {
  GuestProgram program = HOST_TRY(GuestProgram::start(ctl, "rpcbench " + args, kReplyWait));
  if (auto line = program.wait_for_line(LogPattern::substring("rpcbench: serving name="), timeout);
      !line) {
    (void)program.kill(kReplyWait);
    return line.failure();
  }
  return program;
}

HostResult<KeyValueLine> rpc_round_trips(Cluster& cluster, unsigned client, unsigned server,
                                         const std::string& name, unsigned count, unsigned warmup,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  GuestProgram serve =
      HOST_TRY(start_rpc_server(*cluster.node(server).control(),
                                "serve " + name + " " + std::to_string(count + warmup), timeout));
  ControlChannel& ctl = *cluster.node(client).control();
  HostResult<KeyValueLine> calls = warmup == 0 ? HostResult<KeyValueLine>(KeyValueLine{})
                                               : run_calls(ctl, name, warmup, until(deadline));
  if (calls) calls = run_calls(ctl, name, count, until(deadline));
  // The server ends by itself after its last answer; a failed caller leaves it waiting.
  HostResult<KeyValueLine> served =
      finish(serve, "rpcbench: serve ", calls ? until(deadline) : std::chrono::seconds(2));
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
        GuestProgram::start(*cluster.node(senders[i]).control(), command, kReplyWait);
    if (!blast) {
      for (GuestProgram& started : blasts) (void)started.kill(kReplyWait);
      (void)sink.kill(kReplyWait);
      return blast.failure();
    }
    blasts.push_back(blast.release_value());
  }
  RpcStream stream;
  std::optional<Failure> failed;
  for (GuestProgram& blast : blasts) {
    HostResult<KeyValueLine> sent = finish(blast, "rpcbench: blast ", until(deadline));
    if (sent) {
      stream.blasts.push_back(sent.release_value());
    } else if (!failed) {
      failed = sent.failure();
    }
  }
  // The sink ends once everything arrived, or after 20 s without a message.
  HostResult<KeyValueLine> received =
      finish(sink, "rpcbench: sink ", failed ? std::chrono::seconds(25) : until(deadline));
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
  HOST_TRY(cluster.start());
  HOST_TRY(cluster.wait_ready(timeout));
  RpcBenchResult result;
  KeyValueLine local = HOST_TRY(
      rpc_round_trips(cluster, 0, 0, "bench-local", plan.rtt_samples, plan.warmup_calls, timeout));
  result.local_ipcm_rtt_us = HOST_TRY(local.decimal_at("median_us"));
  KeyValueLine remote = HOST_TRY(
      rpc_round_trips(cluster, 0, 1, "bench-remote", plan.rtt_samples, plan.warmup_calls, timeout));
  result.remote_rtt_us = HOST_TRY(remote.decimal_at("median_us"));
  result.rtt_samples = HOST_TRY(remote.unsigned_at("samples"));
  RpcStream stream =
      HOST_TRY(rpc_stream(cluster, {0}, 1, "bench-sink", plan.stream_messages, timeout));
  HOST_TRY(check_sink(stream.sink, plan.stream_messages));
  result.remote_msgs_per_s = HOST_TRY(stream.sink.decimal_at("msgs_per_s"));
  result.stream_messages = plan.stream_messages;
  result.notes = kDirectPathNote;
  return result;
}

}  // namespace

HostResult<RpcBenchResult> measure_rpc(ClusterConfig config, const RpcBenchPlan& plan,
                                       std::chrono::milliseconds timeout) {
  config.nodes = 2;
  std::unique_ptr<Cluster> cluster = HOST_TRY(Cluster::create(std::move(config)));
  HostResult<RpcBenchResult> result = measure_on(*cluster, plan, timeout);
  if (!result) {
    cluster->keep_run_dirs();
    return fail(result.error(),
                result.failure().message + "\n" + cluster->failure_report(kReportLines));
  }
  result->accel = accel_name(cluster->config().accel);
  return result;
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
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Error::kAccessDenied, "cannot create " + dir.string() + ": " + ec.message());
  const std::filesystem::path file = dir / "results.json";
  std::ofstream out(file, std::ios::trunc);
  out << rpc_bench_json(result);
  if (!out.flush()) return fail(Error::kAccessDenied, "cannot write " + file.string());
  return file;
}

}  // namespace atoll_os::host
