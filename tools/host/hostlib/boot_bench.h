// Boot-time benchmark: time from QEMU's launch to the banner and to "boot: complete".
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "hostlib/bench_support.h"
#include "hostlib/host_result.h"
#include "hostlib/node_config.h"

namespace atoll_os::host {

inline constexpr const char* kBannerPrefix = "Atoll kernel ";
inline constexpr const char* kBootComplete = "boot: complete";

/// One boot's timings, in milliseconds since QEMU was launched.
struct BootSample {
  double banner_ms = 0;
  double boot_complete_ms = 0;
};

/// Medians over the runs, and the runs themselves.
struct BootBenchResult {
  std::string accel;
  std::vector<BootSample> samples;
  double banner_ms = 0;
  double boot_complete_ms = 0;
};

/// Boots one node with `exit_after_boot` added to `base`'s command line and times it; the
/// boot must also end with the kernel's success status. A failed run keeps its directory
/// and its failure message says where.
HostResult<BootSample> measure_boot(const NodeConfig& base, std::chrono::milliseconds timeout);

BootBenchResult summarize(const std::string& accel, std::vector<BootSample> samples);

/// results.json: `banner_ms` and `boot_complete_ms` (medians), `runs`, `accel`, and the
/// per-run values under `samples`.
std::string boot_bench_json(const BootBenchResult& result);

/// Writes boot_bench_json(result) to `dir/results.json`, creating `dir`.
HostResult<std::filesystem::path> write_boot_bench(const BootBenchResult& result,
                                                   const std::filesystem::path& dir);

}  // namespace atoll_os::host
