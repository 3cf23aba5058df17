// measure_boot and the boot benchmark's summary and JSON output.
#include "hostlib/boot_bench.h"

#include "hostlib/bench_support.h"
#include "hostlib/kernel_exit.h"
#include "hostlib/node.h"

namespace atoll_os::host {

HostResult<BootSample> measure_boot(const NodeConfig& base, std::chrono::milliseconds timeout) {
  NodeConfig config = base;
  config.cmdline = config.cmdline.empty() ? "exit_after_boot" : config.cmdline + " exit_after_boot";
  config.serial = SerialMode::kLogFile;
  std::unique_ptr<Node> node = HOST_TRY(Node::create(std::move(config)));
  HOST_TRY(node->start());

  auto banner = node->wait_for(LogPattern::substring(kBannerPrefix), timeout);
  if (!banner) return with_report(*node, banner.failure());
  auto complete = node->wait_for(LogPattern::substring(kBootComplete), timeout);
  if (!complete) return with_report(*node, complete.failure());
  auto status = node->wait_exit(timeout);
  if (!status) return with_report(*node, status.failure());
  if (kernel_exit_of(*status) != KernelExit::kSuccess) {
    return with_report(*node,
                       fail(Error::kBadFormat, "boot ended with " + describe_node_exit(*status)));
  }
  return BootSample{banner->since_launch.count(), complete->since_launch.count()};
}

BootBenchResult summarize(const std::string& accel, std::vector<BootSample> samples) {
  std::vector<double> banner, complete;
  for (const BootSample& s : samples) {
    banner.push_back(s.banner_ms);
    complete.push_back(s.boot_complete_ms);
  }
  return {.accel = accel,
          .samples = std::move(samples),
          .banner_ms = median(banner),
          .boot_complete_ms = median(complete)};
}

std::string boot_bench_json(const BootBenchResult& result) {
  std::string json = "{\n";
  json += "  \"banner_ms\": " + decimal_text(result.banner_ms, 1) + ",\n";
  json += "  \"boot_complete_ms\": " + decimal_text(result.boot_complete_ms, 1) + ",\n";
  json += "  \"runs\": " + std::to_string(result.samples.size()) + ",\n";
  json += "  \"accel\": " + json_string(result.accel) + ",\n";
  json += "  \"statistic\": \"median\",\n";
  json += "  \"samples\": [";
  for (size_t i = 0; i < result.samples.size(); ++i) {
    const BootSample& s = result.samples[i];
    json += i ? ",\n    " : "\n    ";
    json += "{\"banner_ms\": " + decimal_text(s.banner_ms, 1) +
            ", \"boot_complete_ms\": " + decimal_text(s.boot_complete_ms, 1) + "}";
  }
  json += result.samples.empty() ? "]\n" : "\n  ]\n";
  json += "}\n";
  return json;
}

HostResult<std::filesystem::path> write_boot_bench(const BootBenchResult& result,
                                                   const std::filesystem::path& dir) {
  return write_results_json(boot_bench_json(result), dir);
}

}  // namespace atoll_os::host
