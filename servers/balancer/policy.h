// The balancer's policy: sender-initiated with hysteresis. A node whose load is above a
// threshold offers its busiest processes to the least loaded homogeneous nodes, one at a
// time against estimated loads, while the gap stays wide enough that the move cannot be
// undone by the next decision. Pure: the tests feed it constructed load tables.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/protocols/balancer.h"
#include "atoll/protocols/migm.h"
#include "atoll/protocols/pm.h"

namespace atoll_os::servers::balancer {

using protocols::balancer::BalancerParams;
using protocols::pm::CpuFeatures;

/// One process's worth of load, in load_milli.
inline constexpr uint32_t kProcessLoadMilli = 1000;
inline constexpr size_t kMovesMax = 8;
inline constexpr size_t kReasonMax = protocols::balancer::kDecisionTextMax;

/// Off at boot (`balancer on` starts it), offering above 1.5, moving while the gap is at
/// least 1 + 0.5 (a move narrows it by 2: a gap of 1 would just swap the roles), deciding
/// every second, waiting 3 s after moving (the kernel's load average has a 2 s time
/// constant), letting arrivals settle 10 s, with the auto strategy.
inline constexpr BalancerParams kDefaultParams{
    0, 1500, 500, 1000, 3000, 10000, 6, static_cast<uint32_t>(protocols::migm::Strategy::kAuto)};

/// Another node as the trader sees it.
struct NodeLoad {
  uint32_t node;
  uint32_t load_milli;
  CpuFeatures features;
};

/// A local process that could move.
struct Candidate {
  uint64_t pid;
  uint64_t recent_cpu_ns;  // CPU time over the last interval: idle processes add no load
  uint64_t arrived_ms;     // when it arrived from another node; 0: started here
  CpuFeatures needs;       // the features it may rely on
};

struct Move {
  uint64_t pid;
  uint32_t node;
};

struct Plan {
  size_t count = 0;
  Move moves[kMovesMax];
  char reason[kReasonMax] = {};
};

/// What the balancer knows when it decides.
struct Situation {
  uint64_t now_ms;
  uint64_t last_move_ms;  // 0: never moved anything
  uint32_t self;
  uint32_t own_load_milli;
  std::span<const NodeLoad> others;
  std::span<const Candidate> candidates;
};

/// nullptr if the parameters are usable, else which one is not and why.
const char* check_params(const BalancerParams& params);

/// True if `offered` has every feature of `needed`.
bool offers(const CpuFeatures& offered, const CpuFeatures& needed);

/// The moves to make now, and why (or why none).
Plan decide(const BalancerParams& params, const Situation& situation);

}  // namespace atoll_os::servers::balancer
