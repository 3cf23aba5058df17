// `tools/atoll bench migrate`: the strategy x size matrix on a fresh cluster, each migration
// of a `memtouch SIZE RATE` process from node 0 to node 1, with the link throughput measured
// on the same cluster; results.json, summary.md and migration.svg (gnuplot).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hostlib/cluster.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

struct MigrateBenchPlan {
  std::vector<std::string> strategies = {"eager"};
  std::vector<uint64_t> sizes = {100 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20};
  unsigned repeat = 1;
  uint64_t dirty_rate = 1;         // memtouch's pages per second after its first full write
  uint64_t link_bytes = 64 << 20;  // the TCP transfer that measures the link
};

/// One migration of the matrix, with the keys results.json uses.
struct MigrateBenchRecord {
  std::string strategy;
  uint64_t size_bytes = 0;
  uint64_t dirty_rate = 0;
  double total_ms = 0;
  double freeze_ms = 0;
  uint64_t bytes_sent = 0;
  uint64_t pages_sent = 0;
  double residual_ms = 0;  // eager leaves no residual dependency
  uint64_t remote_faults = 0;
  double link_mib_per_s = 0;
  double efficiency = 0;  // address space bytes / (total time * link throughput)
};

struct MigrateBenchResult {
  std::string accel;
  std::string revision;
  double link_mib_per_s = 0;
  std::vector<MigrateBenchRecord> records;
};

/// "100K,1M,64M" -> bytes; kInvalidArgument names a bad item.
HostResult<std::vector<uint64_t>> parse_sizes(const std::string& text);
/// "eager" or "all" (every strategy built) -> names; kInvalidArgument for an unknown one.
HostResult<std::vector<std::string>> parse_strategies(const std::string& text);

/// Runs the matrix on a fresh two-node cluster from `config`.
HostResult<MigrateBenchResult> measure_migrations(ClusterConfig config,
                                                  const MigrateBenchPlan& plan,
                                                  std::chrono::milliseconds timeout);

/// `efficiency` of a migration: the process's bytes over what the link moves in its time.
double migration_efficiency(uint64_t address_space_bytes, double total_ms, double link_mib_per_s);

std::string migrate_bench_json(const MigrateBenchResult& result);
/// A Markdown table: strategy, size, total, freeze, bytes, pages, efficiency.
std::string migrate_bench_summary(const MigrateBenchResult& result);
/// Writes results.json, summary.md, migration.dat and migration.gp into `dir` and runs
/// gnuplot for migration.svg (total time against size, one line per strategy).
HostResult<std::filesystem::path> write_migrate_bench(const MigrateBenchResult& result,
                                                      const std::filesystem::path& dir);

}  // namespace atoll_os::host
