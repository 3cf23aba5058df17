// The balancer's decisions: estimated loads, the busiest movable process first, the least
// loaded node that offers what it needs.
#include "policy.h"

#include "../lib/text_writer.h"

namespace atoll_os::servers::balancer {
namespace {

constexpr size_t kNodesMax = 64;
constexpr size_t kCandidatesMax = 64;

bool settling(const BalancerParams& params, const Candidate& c, uint64_t now_ms) {
  return c.arrived_ms != 0 && now_ms - c.arrived_ms < params.settle_ms;
}

// The busiest process not taken yet that may move: nullptr when none is left.
const Candidate* busiest(const BalancerParams& params, const Situation& s, const bool* taken) {
  const Candidate* best = nullptr;
  for (size_t i = 0; i < s.candidates.size() && i < kCandidatesMax; ++i) {
    const Candidate& c = s.candidates[i];
    if (taken[i] || c.recent_cpu_ns == 0 || settling(params, c, s.now_ms)) continue;
    if (best == nullptr || c.recent_cpu_ns > best->recent_cpu_ns) best = &c;
  }
  return best;
}

// The least loaded node (by estimate) that offers what `c` needs; -1 if none does.
int least_loaded(const Situation& s, const uint32_t* estimate, const Candidate& c) {
  int best = -1;
  for (size_t i = 0; i < s.others.size() && i < kNodesMax; ++i) {
    if (s.others[i].node == s.self || !offers(s.others[i].features, c.needs)) continue;
    if (best < 0 || estimate[i] < estimate[best]) best = int(i);
  }
  return best;
}

}  // namespace

bool offers(const CpuFeatures& offered, const CpuFeatures& needed) {
  return (needed.leaf1_ecx & ~offered.leaf1_ecx) == 0 &&
         (needed.leaf1_edx & ~offered.leaf1_edx) == 0 &&
         (needed.leaf7_ebx & ~offered.leaf7_ebx) == 0 &&
         (needed.leaf7_ecx & ~offered.leaf7_ecx) == 0;
}

const char* check_params(const BalancerParams& p) {
  if (p.enabled > 1) return "enabled is 0 or 1";
  if (p.threshold_milli < 100 || p.threshold_milli > 64000) return "threshold out of 0.1..64";
  if (p.margin_milli > 16000) return "margin out of 0..16";
  if (p.interval_ms < 100 || p.interval_ms > 60000) return "interval out of 100..60000 ms";
  if (p.cooldown_ms > 600000) return "cooldown out of 0..600000 ms";
  if (p.settle_ms > 3600000) return "settle out of 0..3600000 ms";
  if (p.max_moves == 0 || p.max_moves > kMovesMax) return "max_moves out of 1..8";
  if (p.strategy == 0) return "no strategy";
  return nullptr;
}

Plan decide(const BalancerParams& params, const Situation& s) {
  Plan plan;
  TextWriter why(plan.reason);  // what does not fit is cut
  const uint32_t load = s.own_load_milli;
  if (params.enabled == 0) {
    why.text("off");
    return plan;
  }
  if (load <= params.threshold_milli) {
    why.text("load ").milli(load).text(" <= threshold ").milli(params.threshold_milli);
    return plan;
  }
  if (s.last_move_ms != 0 && s.now_ms - s.last_move_ms < params.cooldown_ms) {
    why.text("load ").milli(load).text(": cooling down after the last move");
    return plan;
  }
  uint32_t estimate[kNodesMax];
  for (size_t i = 0; i < s.others.size() && i < kNodesMax; ++i) {
    estimate[i] = s.others[i].load_milli;
  }
  bool taken[kCandidatesMax] = {};
  uint32_t own = load;
  while (plan.count < params.max_moves && plan.count < kMovesMax) {
    const Candidate* c = busiest(params, s, taken);
    if (c == nullptr) break;
    taken[c - s.candidates.data()] = true;
    int d = least_loaded(s, estimate, *c);
    if (d < 0) continue;  // no node offers what it needs: perhaps one does for the next
    // A move narrows the gap by two processes: it must stay open by the margin.
    if (own < estimate[d] + kProcessLoadMilli + params.margin_milli) break;
    plan.moves[plan.count++] = {c->pid, s.others[d].node};
    own -= kProcessLoadMilli;
    estimate[d] += kProcessLoadMilli;
  }
  why.text("load ").milli(load).text(" > ").milli(params.threshold_milli);
  if (plan.count == 0) {
    why.text(": no movable busy process has a homogeneous node ")
        .milli(kProcessLoadMilli + params.margin_milli)
        .text(" less loaded");
    return plan;
  }
  why.text(": ").decimal(plan.count).text(" to nodes");
  for (size_t i = 0; i < plan.count; ++i) why.text(i == 0 ? " " : ",").decimal(plan.moves[i].node);
  return plan;
}

}  // namespace atoll_os::servers::balancer
