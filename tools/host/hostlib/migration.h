// Migrations from the host: the `migrate` command of a node's ctl, its record, and finding
// which node a process lives on. Used by `tools/atoll migrate`, the demo, the benchmarks and
// the system tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hostlib/cluster.h"
#include "hostlib/control_channel.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

/// The migration record as ctl reports it (times in nanoseconds of the source's clock).
struct MigrationRecord {
  bool ok = false;
  std::string error;        // when !ok: the error's name
  std::string reason;       // when !ok: "phase: why"
  std::string auto_reason;  // when auto chose the strategy: what it chose and why
  uint64_t pid = 0;
  unsigned from = 0;
  unsigned to = 0;
  std::string strategy;
  uint64_t total_ns = 0;
  uint64_t freeze_ns = 0;
  uint64_t negotiate_ns = 0;
  uint64_t freeze_step_ns = 0;
  uint64_t memory_ns = 0;
  uint64_t process_ns = 0;
  uint64_t ports_ns = 0;
  uint64_t commit_ns = 0;
  uint64_t release_ns = 0;
  uint64_t bytes_sent = 0;
  uint64_t pages_sent = 0;
  uint64_t address_space_bytes = 0;
  uint64_t migration_id = 0;
  uint64_t rounds = 0;  // precopy: live rounds
  uint64_t precopy_ns = 0;
  // lazy, postcopy: the residual dependency so far (final once residual_done)
  uint64_t residual_ms = 0;
  uint64_t remote_faults = 0;
  uint64_t remote_fault_ns = 0;
  bool residual_done = false;
};

/// migrate()'s `to` when the source's trader is to choose the node (ctl's "migrate PID any":
/// the least loaded node offering every CPU feature the process may rely on).
inline constexpr unsigned kAnyNode = ~0u;

/// How long a migration may take before the host gives up waiting for ctl's answer.
inline constexpr std::chrono::seconds kMigrationWait{300};

/// Asks `from`'s ctl to migrate `pid` to node `to`. A refused or failed migration is a
/// record with ok false (error and reason set); a malformed request or a silent ctl is a
/// failure.
HostResult<MigrationRecord> migrate(ControlChannel& from, uint64_t pid, unsigned to,
                                    const std::string& strategy,
                                    std::chrono::milliseconds timeout = kMigrationWait);

/// The record of the recent migration `migration_id` from the node behind `from` (ctl's
/// `migration ID`), its residual dependency (lazy, postcopy) as the source sees it now.
HostResult<MigrationRecord> migration_record(ControlChannel& from, uint64_t migration_id,
                                             std::chrono::milliseconds timeout = kMigrationWait);

/// The record from ctl's JSON reply (kBadFormat if a field is missing).
HostResult<MigrationRecord> parse_migration_record(const JsonValue& reply);

/// Whether the node behind `control` lists `pid` as running (`ps`).
bool runs_process(ControlChannel& control, uint64_t pid);

/// counter's own proof that moves lost nothing: every "counter: V checksum C" line in
/// `lines` follows the one before (V by one from 1, C the FNV-1a chain of the values). The
/// count of values, or kBadFormat quoting the first line that breaks the chain.
HostResult<uint64_t> check_counter_lines(const std::vector<std::string>& lines);

/// One line for people: "pid 0x4 0 -> 2 eager: total 12.3 ms, frozen 10.1 ms, 102400 bytes
/// (25 pages)" or "... refused: REASON".
std::string describe(const MigrationRecord& record);

}  // namespace atoll_os::host
