// The migration manager protocol: move a process to another node (docs/migration.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::migm {

inline constexpr uint16_t kProtocolId = kMigrationProtocol;
/// The version migration managers negotiate: both ends must speak the same.
inline constexpr uint32_t kMigrationVersion = 1;

/// The strategies (docs/strategies.md). Every value is reserved here; migm refuses one it
/// does not build with kNotSupported.
enum class Strategy : uint32_t {
  kEager = 1,       // freeze, copy every slice, resume on the destination (total copy)
  kPrecopy = 2,     // copy pages while it runs, rounds of dirty pages, then a short freeze
  kLazy = 3,        // freeze, move the page map only; pages follow on first touch
  kPostcopy = 4,    // lazy, and the source sends the remaining pages in the background
  kFlush = 5,       // dirty pages to a page store; the destination faults from the store
  kEagerDirty = 6,  // only pages dirtied since the store last saved them; the rest on demand
  kAuto = 7,        // chosen per migration from a cost model
};

constexpr const char* strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::kEager: return "eager";
    case Strategy::kPrecopy: return "precopy";
    case Strategy::kLazy: return "lazy";
    case Strategy::kPostcopy: return "postcopy";
    case Strategy::kFlush: return "flush";
    case Strategy::kEagerDirty: return "eager-dirty";
    case Strategy::kAuto: return "auto";
  }
  return "unknown";
}

/// Whether pages stay at the source after commit (a residual dependency).
constexpr bool leaves_residual(Strategy strategy) {
  return strategy == Strategy::kLazy || strategy == Strategy::kPostcopy;
}

/// "eager", "precopy", ... -> Strategy; false for a name no strategy has.
constexpr bool parse_strategy(const char* text, Strategy& out) {
  for (Strategy s : {Strategy::kEager, Strategy::kPrecopy, Strategy::kLazy, Strategy::kPostcopy,
                     Strategy::kFlush, Strategy::kEagerDirty, Strategy::kAuto}) {
    const char* name = strategy_name(s);
    size_t i = 0;
    while (name[i] != '\0' && text[i] == name[i]) ++i;
    if (name[i] == '\0' && text[i] == '\0') {
      out = s;
      return true;
    }
  }
  return false;
}

/// A past migration of this node, by id (record).
struct RecordRequest {
  uint64_t migration_id;
};
static_assert(sizeof(RecordRequest) == 8);

struct MigrateRequest {
  uint64_t pid;
  uint32_t node;  // the destination
  Strategy strategy;
  uint32_t objective;  // for kAuto: servers/migm/cost_model.h Objective (0: shortest freeze)
  uint32_t reserved;
};
static_assert(sizeof(MigrateRequest) == 24);

/// What one migration did and cost: the migration record. Times are this node's clock (ns).
struct MigrationRecord {
  uint64_t migration_id;
  uint64_t pid;
  uint32_t from_node;
  uint32_t to_node;
  Strategy strategy;
  int32_t error;          // Error: kOk when the process runs on the destination
  uint64_t total_ns;      // request to release
  uint64_t freeze_ns;     // frozen on the source to running on the destination
  uint64_t negotiate_ns;  // the destination's answer to the proposal
  uint64_t freeze_step_ns;
  uint64_t memory_ns;   // mm's slice, sent and acknowledged
  uint64_t process_ns;  // pm's slice, sent and acknowledged
  uint64_t ports_ns;    // ipcm's slice (the ports, prepared there), sent and acknowledged
  uint64_t commit_ns;   // the destination started it
  uint64_t release_ns;  // the source let go
  uint64_t bytes_sent;  // slices on the wire
  uint64_t pages_sent;
  uint64_t address_space_bytes;  // resident pages * 4096 when frozen
  uint64_t rounds;               // precopy: copy rounds while running (the frozen one not counted)
  uint64_t precopy_ns;           // precopy: those rounds, before the freeze
  // Lazy and postcopy: the residual dependency, as the source's mm saw it so far (final once
  // residual_done): how long the source held pages after commit, and the destination's page
  // faults served from here and their summed wait (the faulting thread's, fetch to install).
  uint64_t residual_ms;
  uint64_t remote_faults;
  uint64_t remote_fault_ns;
  uint32_t residual_done;  // 1: the source holds nothing more
  uint32_t auto_chosen;    // 1: `auto` chose `strategy`; `reason` then says why, even on success
  char reason[120];        // why, when error != kOk (or auto_chosen)
};
static_assert(sizeof(MigrationRecord) <= abi::kMessagePayloadMax);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/migm.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::migm
