// The page store driven from the host: pagestore_probe runs on a node (the system tests and
// `bench pagestore`), and the put/get throughput benchmark.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "hostlib/cluster.h"
#include "hostlib/cluster_config.h"
#include "hostlib/guest_program.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

/// `pagestore_probe MODE ARGS` on `ctl`; its result line "pagestore_probe: MODE ...". A
/// probe that exits with 2 (a fill the store refused: the clean refusal) still yields it.
HostResult<KeyValueLine> run_pagestore_probe(ControlChannel& ctl, const std::string& mode,
                                             const std::string& arguments,
                                             std::chrono::milliseconds timeout);

/// What `bench pagestore` reports: put and get of `bytes` of pages from the probe's node to
/// the store's, as the probe timed them (MiB/s).
struct PagestoreBenchResult {
  uint64_t bytes = 0;
  double put_mib_per_s = 0;
  double get_mib_per_s = 0;
  std::string accel;
};

/// A fresh two-node cluster from `config` (its node count set to 2, the store on node 0);
/// the probe on node 1 puts, gets and drops `bytes`. `timeout` bounds each step.
HostResult<PagestoreBenchResult> measure_pagestore(ClusterConfig config, uint64_t bytes,
                                                   std::chrono::milliseconds timeout);

/// {"bytes":..., "put_mib_per_s":..., "get_mib_per_s":..., "accel":...} in dir/results.json.
HostResult<std::filesystem::path> write_pagestore_bench(const PagestoreBenchResult& result,
                                                        const std::filesystem::path& dir);

}  // namespace atoll_os::host
