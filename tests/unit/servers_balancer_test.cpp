// The balancer's policy on constructed load tables: it spreads a crowded node's busy
// processes to the least loaded homogeneous nodes, then stays quiet; it never bounces a
// process back, never moves idle or just-arrived ones, and honours its parameters.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "balancer/policy.h"

namespace atoll_os::servers::balancer {
namespace {

constexpr CpuFeatures kBasic{0, (1u << 25) | (1u << 26), 0, 0};                  // sse, sse2
constexpr CpuFeatures kWithAvx2{1u << 28, (1u << 25) | (1u << 26), 1u << 5, 0};  // + avx2

// The defaults switched on (the balancer boots off).
constexpr BalancerParams kOn{1,
                             kDefaultParams.threshold_milli,
                             kDefaultParams.margin_milli,
                             kDefaultParams.interval_ms,
                             kDefaultParams.cooldown_ms,
                             kDefaultParams.settle_ms,
                             kDefaultParams.max_moves,
                             kDefaultParams.strategy};

struct Table {
  uint32_t self = 0;
  uint32_t own_load = 0;
  uint64_t now_ms = 100'000;
  uint64_t last_move_ms = 0;
  std::vector<NodeLoad> others;
  std::vector<Candidate> candidates;

  Plan decide(const BalancerParams& params = kOn) const {
    return balancer::decide(params, {now_ms, last_move_ms, self, own_load, others, candidates});
  }
};

// `busy` CPU-bound processes on node 0 (each a whole load unit), `nodes` - 1 idle others.
Table crowded(uint32_t busy, uint32_t nodes) {
  Table t;
  t.own_load = busy * 1000;
  for (uint32_t n = 1; n < nodes; ++n) t.others.push_back({n, 0, kBasic});
  for (uint32_t i = 0; i < busy; ++i) t.candidates.push_back({0x10 + i, 900'000'000, 0, kBasic});
  return t;
}

std::map<uint32_t, int> per_node(const Plan& plan) {
  std::map<uint32_t, int> count;
  for (size_t i = 0; i < plan.count; ++i) ++count[plan.moves[i].node];
  return count;
}

TEST(BalancerPolicy, EightJobsOnOneOfFourNodesSpreadTwoPerNode) {
  Plan plan = crowded(8, 4).decide();
  ASSERT_EQ(plan.count, 6u) << plan.reason;
  EXPECT_EQ(per_node(plan), (std::map<uint32_t, int>{{1, 2}, {2, 2}, {3, 2}}));
  EXPECT_STREQ(plan.reason, "load 8.000 > 1.500: 6 to nodes 1,2,3,1,2,3");
  for (size_t i = 0; i < plan.count; ++i) {  // each process once
    for (size_t j = 0; j < i; ++j) EXPECT_NE(plan.moves[i].pid, plan.moves[j].pid);
  }
}

TEST(BalancerPolicy, AnEvenClusterStaysQuiet) {
  Table t = crowded(2, 4);
  for (NodeLoad& n : t.others) n.load_milli = 2000;
  Plan plan = t.decide();
  EXPECT_EQ(plan.count, 0u);
  EXPECT_NE(std::string(plan.reason).find("no movable busy process"), std::string::npos)
      << plan.reason;
}

// A gap of one process would only swap the two nodes' roles: no move, so no bounce back.
TEST(BalancerPolicy, HysteresisKeepsAProcessFromBouncing) {
  Table t = crowded(3, 2);
  t.others[0].load_milli = 1000;
  Plan first = t.decide();
  ASSERT_EQ(first.count, 1u) << first.reason;  // 3 : 1 -> 2 : 2
  Table after = crowded(2, 2);
  after.others[0].load_milli = 2000;
  EXPECT_EQ(after.decide().count, 0u);
  Table other_side = crowded(2, 2);  // 2 : 1 from the other node's side
  other_side.others[0].load_milli = 1000;
  EXPECT_EQ(other_side.decide().count, 0u) << "a gap of one is not worth a move";
}

TEST(BalancerPolicy, BelowTheThresholdNothingIsOffered) {
  Table t = crowded(1, 4);
  t.own_load = 1400;
  Plan plan = t.decide();
  EXPECT_EQ(plan.count, 0u);
  EXPECT_STREQ(plan.reason, "load 1.400 <= threshold 1.500");
}

TEST(BalancerPolicy, OffDecidesNothing) {
  EXPECT_EQ(kDefaultParams.enabled, 0u);  // the balancer boots off
  BalancerParams off = kOn;
  off.enabled = 0;
  Plan plan = crowded(8, 4).decide(off);
  EXPECT_EQ(plan.count, 0u);
  EXPECT_STREQ(plan.reason, "off");
}

TEST(BalancerPolicy, ItWaitsForTheLoadsToShowItsLastMove) {
  Table t = crowded(8, 4);
  t.last_move_ms = t.now_ms - kDefaultParams.cooldown_ms + 1;
  EXPECT_EQ(t.decide().count, 0u);
  t.last_move_ms = t.now_ms - kDefaultParams.cooldown_ms;
  EXPECT_EQ(t.decide().count, 6u);
}

TEST(BalancerPolicy, IdleAndJustArrivedProcessesStay) {
  Table t = crowded(4, 2);
  t.candidates[0].recent_cpu_ns = 0;                                 // idle: adds no load
  t.candidates[1].arrived_ms = t.now_ms - 1000;                      // arrived a second ago
  t.candidates[2].arrived_ms = t.now_ms - kDefaultParams.settle_ms;  // settled
  Plan plan = t.decide();
  ASSERT_EQ(plan.count, 2u) << plan.reason;  // 4 : 0 -> 2 : 2, only the two that may move
  EXPECT_EQ(plan.moves[0].pid, 0x12u);
  EXPECT_EQ(plan.moves[1].pid, 0x13u);
}

TEST(BalancerPolicy, TheBusiestProcessGoesFirst) {
  Table t = crowded(3, 2);
  t.candidates[1].recent_cpu_ns = 950'000'000;
  Plan plan = t.decide();
  ASSERT_GE(plan.count, 1u);
  EXPECT_EQ(plan.moves[0].pid, 0x11u);
}

// Homogeneity: a process relying on avx2 goes only where avx2 is offered, however idle the
// other nodes are.
TEST(BalancerPolicy, AProcessGoesOnlyToANodeOfferingItsFeatures) {
  Table t = crowded(4, 4);
  for (Candidate& c : t.candidates) c.needs = kWithAvx2;
  t.others[1].features = kWithAvx2;  // node 2
  Plan plan = t.decide();
  ASSERT_EQ(plan.count, 2u) << plan.reason;  // 4 : 0 -> 2 : 2, both to node 2
  EXPECT_EQ(plan.moves[0].node, 2u);
  EXPECT_EQ(plan.moves[1].node, 2u);
  for (NodeLoad& n : t.others) n.features = kBasic;
  Plan none = t.decide();
  EXPECT_EQ(none.count, 0u);
  EXPECT_NE(std::string(none.reason).find("homogeneous"), std::string::npos) << none.reason;
}

TEST(BalancerPolicy, MovesPerDecisionAreBounded) {
  BalancerParams two = kOn;
  two.max_moves = 2;
  EXPECT_EQ(crowded(8, 4).decide(two).count, 2u);
}

TEST(BalancerPolicy, ParametersOutOfRangeAreNamed) {
  EXPECT_EQ(check_params(kDefaultParams), nullptr);
  struct Case {
    void (*spoil)(BalancerParams&);
    const char* reason;
  } cases[] = {
      {[](BalancerParams& p) { p.enabled = 2; }, "enabled is 0 or 1"},
      {[](BalancerParams& p) { p.threshold_milli = 50; }, "threshold out of 0.1..64"},
      {[](BalancerParams& p) { p.margin_milli = 20000; }, "margin out of 0..16"},
      {[](BalancerParams& p) { p.interval_ms = 10; }, "interval out of 100..60000 ms"},
      {[](BalancerParams& p) { p.max_moves = 0; }, "max_moves out of 1..8"},
      {[](BalancerParams& p) { p.max_moves = 9; }, "max_moves out of 1..8"},
      {[](BalancerParams& p) { p.strategy = 0; }, "no strategy"},
  };
  for (const Case& c : cases) {
    BalancerParams p = kDefaultParams;
    c.spoil(p);
    EXPECT_STREQ(check_params(p), c.reason);
  }
}

}  // namespace
}  // namespace atoll_os::servers::balancer
