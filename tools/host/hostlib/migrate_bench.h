// `tools/atoll bench migrate`: the strategy x size x dirty rate matrix on a fresh cluster,
// each migration of a `memtouch SIZE RATE` process from node 0 to node 1, with the link
// throughput measured on the same cluster; results.json, summary.md and svg plots (gnuplot).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hostlib/cluster.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

/// A dirty rate of the matrix: memtouch's RATE argument, by name.
struct DirtyLevel {
  std::string name;  // "idle", "moderate", "heavy", or the rate itself
  uint64_t pages_per_s = 1;
  bool operator==(const DirtyLevel&) const = default;
};

/// The named dirty rates `--dirty` takes: idle 1 page/s, moderate 256 pages/s (1 MiB/s),
/// heavy 4096 pages/s (16 MiB/s, about a quarter of the TCG link).
const std::vector<DirtyLevel>& dirty_levels();

/// Every strategy `--strategies all` asks for; those the cluster refuses (kNotSupported)
/// get one "not supported" row each.
const std::vector<std::string>& all_strategies();
/// The sizes of `--strategies all` when --sizes is not given.
const std::vector<uint64_t>& all_strategies_sizes();

struct MigrateBenchPlan {
  std::vector<std::string> strategies = {"eager"};
  std::vector<uint64_t> sizes = {100 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20};
  std::vector<DirtyLevel> dirty = {{"idle", 1}};
  unsigned repeat = 1;
  uint64_t link_bytes = 64 << 20;  // the TCP transfer that measures the link
};

/// One migration of the matrix, with the keys results.json uses; or the one row of a
/// strategy the cluster refused, or of a cell that failed (see matrix_skips).
struct MigrateBenchRecord {
  std::string strategy;
  std::string chosen;         // auto: the strategy it ran, from its reason; empty otherwise
  std::string status = "ok";  // "ok", "not supported" (refused with kNotSupported), "failed"
  std::string reason;         // when not ok: why
  uint64_t size_bytes = 0;
  std::string dirty;        // the level's name
  uint64_t dirty_rate = 0;  // pages per second asked of memtouch
  double total_ms = 0;
  double freeze_ms = 0;
  uint64_t bytes_sent = 0;
  uint64_t pages_sent = 0;
  uint64_t address_space_bytes = 0;  // resident pages * 4096 when frozen
  uint64_t rounds = 0;               // precopy's live rounds
  double residual_ms = 0;            // lazy, postcopy: the source served pages this long
  uint64_t remote_faults = 0;
  double remote_fault_ms = 0;
  double link_mib_per_s = 0;
  double efficiency = 0;         // address space bytes / (total time * link throughput)
  double touch_rate_before = 0;  // memtouch's page writes per second before the move
  double touch_rate_after = 0;   // ... in the 2 s after the move
  double slowdown = 0;           // after / before; 0 when not measured
};

struct MigrateBenchResult {
  std::string accel;
  std::string revision;
  double link_mib_per_s = 0;
  std::vector<MigrateBenchRecord> records;
};

/// 1048576 -> "1M", 102400 -> "100K", as --sizes writes them.
std::string size_text(uint64_t bytes);
/// "100K,1M,64M" -> bytes (up to 256M); kInvalidArgument names a bad item.
HostResult<std::vector<uint64_t>> parse_sizes(const std::string& text);
/// "eager", "eager,lazy" or "all" -> names; kInvalidArgument for an unknown one.
HostResult<std::vector<std::string>> parse_strategies(const std::string& text);
/// "idle,moderate,heavy" (or pages per second, "300") -> levels; kInvalidArgument for
/// another word.
HostResult<std::vector<DirtyLevel>> parse_dirty(const std::string& text);

/// Whether the matrix skips `strategy` at `size`, given the records so far: a strategy the
/// cluster refused (kNotSupported) is skipped everywhere; one that failed at a size is
/// skipped at that size (at any dirty rate and repeat) and runs on at the others.
bool matrix_skips(const std::vector<MigrateBenchRecord>& done, const std::string& strategy,
                  uint64_t size);

/// Guest memory each node needs for the largest process of `sizes` twice over (the source
/// of a lazy move still holds the last process's pages when the next one starts there):
/// the largest size times two plus 128M for the system, rounded up to 64M, at least 256M.
std::string bench_node_memory(const std::vector<uint64_t>& sizes);

/// The touch rates (page writes per second) of memtouch's "memtouch: rate touches=N ms=M"
/// lines around a move: `before` from the last such line before index `asked_at` (the
/// first line collected after the migration was asked for); `after` over the two lines
/// following the first one at or after `moved_at` (the first line from the destination,
/// whose interval spans the move): touches summed over milliseconds summed. 0 for what the
/// lines do not show.
struct TouchRates {
  double before = 0;
  double after = 0;
};
TouchRates touch_rates(const std::vector<std::string>& lines, size_t asked_at, size_t moved_at);
/// Rate lines (as touch_rates reads them) at or after index `from`.
size_t rate_lines_from(const std::vector<std::string>& lines, size_t from);

/// True if the plan runs a strategy that goes through the page store (flush, eager-dirty).
bool plan_uses_store(const MigrateBenchPlan& plan);
/// The page store's memory bound for the plan: the largest process's pages and an eighth
/// more (its stack, heap and tables), at least the store's own default.
uint64_t bench_store_pages(const std::vector<uint64_t>& sizes);

/// Runs the matrix on a fresh cluster from `config`: node 0 -> node 1, and, when the plan
/// uses the page store, a third node that runs it (a store cannot serve its own node).
HostResult<MigrateBenchResult> measure_migrations(ClusterConfig config,
                                                  const MigrateBenchPlan& plan,
                                                  std::chrono::milliseconds timeout);

/// `efficiency` of a migration: the process's bytes over what the link moves in its time.
double migration_efficiency(uint64_t address_space_bytes, double total_ms, double link_mib_per_s);

std::string migrate_bench_json(const MigrateBenchResult& result);
/// Markdown: one table per dirty rate (strategy, size, total, freeze, bytes, pages, rounds,
/// residual, remote faults, efficiency, slowdown; refused strategies listed under them).
std::string migrate_bench_summary(const MigrateBenchResult& result);
/// The gnuplot data of one measure against size: one block per strategy and dirty rate
/// ("# strategy dirty" then "size_mib value" lines, medians of the repeats), in the order
/// of `titles`, which gets each block's title.
std::string migrate_bench_series(const MigrateBenchResult& result, const std::string& measure,
                                 std::vector<std::string>& titles);
/// Writes results.json, summary.md, and for each measure (total, freeze, bytes, slowdown)
/// a .dat, .gp and, through gnuplot, an .svg; migration.svg is total time against size.
HostResult<std::filesystem::path> write_migrate_bench(const MigrateBenchResult& result,
                                                      const std::filesystem::path& dir);

}  // namespace atoll_os::host
