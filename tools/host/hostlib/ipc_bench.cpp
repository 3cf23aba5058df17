// measure_ipc and the IPC benchmark's JSON output.
#include "hostlib/ipc_bench.h"

#include "hostlib/bench_support.h"
#include "hostlib/kernel_exit.h"
#include "hostlib/node.h"

namespace atoll_os::host {
namespace {

constexpr const char* kResultPattern =
    "ipcbench: null_syscall_ticks=([0-9]+) roundtrip_ticks=([0-9]+) roundtrip_ns=([0-9]+)";

}  // namespace

HostResult<IpcSample> measure_ipc(const NodeConfig& base, bool instruction_count,
                                  std::chrono::milliseconds timeout) {
  NodeConfig config = base;
  config.cmdline += " init=ipcbench poweroff_on_init_exit tick_log=0";
  config.serial = SerialMode::kLogFile;
  if (instruction_count) {
    config.extra_args.insert(config.extra_args.end(), {"-icount", "shift=0"});
  }
  std::unique_ptr<Node> node = HOST_TRY(Node::create(std::move(config)));
  HOST_TRY(node->start());
  auto line = node->wait_for(LogPattern::regex(kResultPattern), timeout);
  if (!line) return with_report(*node, line.failure());
  auto status = node->wait_exit(timeout);
  if (!status) return with_report(*node, status.failure());
  if (kernel_exit_of(*status) != KernelExit::kSuccess) {
    return with_report(
        *node, fail(Error::kBadFormat, "ipcbench ended with " + describe_node_exit(*status)));
  }
  return IpcSample{std::stoull(line->groups[1]), std::stoull(line->groups[2]),
                   std::stoull(line->groups[3])};
}

std::string ipc_bench_json(const IpcBenchResult& r) {
  return "{\n  \"roundtrip_instructions\": " + std::to_string(r.roundtrip_instructions) +
         ",\n  \"roundtrip_ns\": " + std::to_string(r.roundtrip_ns) +
         ",\n  \"null_syscall_instructions\": " + std::to_string(r.null_syscall_instructions) +
         ",\n  \"accel\": " + json_string(r.accel) + ",\n  \"statistic\": \"median\"\n}\n";
}

HostResult<std::filesystem::path> write_ipc_bench(const IpcBenchResult& result,
                                                  const std::filesystem::path& dir) {
  return write_results_json(ipc_bench_json(result), dir);
}

}  // namespace atoll_os::host
