// The balancer protocol: the load-balancing policy's parameters and what it has done
// (docs/balancer.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::balancer {

inline constexpr uint16_t kProtocolId = kBalancerProtocol;

/// The sender-initiated policy's parameters. Loads are run-queue lengths averaged by the
/// kernel, in thousandths (the trader's load_milli).
struct BalancerParams {
  uint32_t enabled;          // 0: the balancer watches and decides nothing
  uint32_t threshold_milli;  // this node offers processes while its load is above this
  uint32_t margin_milli;     // a destination must stay this much below this node, after the move
  uint32_t interval_ms;      // how often it decides
  uint32_t cooldown_ms;      // after migrating from here, wait this long: the loads must show it
  uint32_t settle_ms;        // a process that arrived here stays at least this long (no bouncing)
  uint32_t max_moves;        // migrations one decision may make
  uint32_t strategy;         // protocols::migm::Strategy the migrations use
};
static_assert(sizeof(BalancerParams) == 32);

inline constexpr size_t kDecisionTextMax = 120;

struct BalancerStatus {
  BalancerParams params;
  uint64_t decisions;   // rounds decided
  uint64_t migrations;  // migrations it asked for that succeeded
  uint64_t failures;    // migrations it asked for that failed
  uint32_t load_milli;  // this node's load at the last decision
  uint32_t reserved;
  char last[kDecisionTextMax];  // the last decision that moved something or changed course
};
static_assert(sizeof(BalancerStatus) <= 448);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/balancer.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::balancer
