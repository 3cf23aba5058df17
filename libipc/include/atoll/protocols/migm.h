// The migration manager protocol: move a process to another node (docs/migration.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::migm {

inline constexpr uint16_t kProtocolId = kMigrationProtocol;
/// The version migration managers negotiate: both ends must speak the same.
inline constexpr uint32_t kMigrationVersion = 1;

enum class Strategy : uint32_t {
  kEager = 1,  // freeze, copy every slice, resume on the destination (total copy)
};

constexpr const char* strategy_name(Strategy strategy) {
  switch (strategy) {
    case Strategy::kEager: return "eager";
  }
  return "unknown";
}

/// "eager" -> Strategy; false for a name no strategy has.
constexpr bool parse_strategy(const char* text, Strategy& out) {
  for (Strategy s : {Strategy::kEager}) {
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

struct MigrateRequest {
  uint64_t pid;
  uint32_t node;  // the destination
  Strategy strategy;
};
static_assert(sizeof(MigrateRequest) == 16);

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
  uint64_t commit_ns;   // the destination started it
  uint64_t release_ns;  // the source let go
  uint64_t bytes_sent;  // slices on the wire
  uint64_t pages_sent;
  uint64_t address_space_bytes;  // resident pages * 4096 when frozen
  char reason[120];              // why, when error != kOk
};
static_assert(sizeof(MigrationRecord) <= abi::kMessagePayloadMax);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/migm.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::migm
