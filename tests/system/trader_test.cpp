// The trader end to end on a heterogeneous four-node cluster (CPU models qemu64, max, max,
// qemu64): every trader sees every node with its CPU features; a malformed query is refused
// naming the column; a process started on a `max` node is refused by a `qemu64` node with
// the missing features named and accepted by the other `max` node; `migrate PID any` picks
// a homogeneous node; a node that is killed leaves the view within a bounded time.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "hostlib/guest_program.h"
#include "hostlib/migration.h"
#include "hostlib/trader.h"
#include "support/cluster_fixture.h"

namespace atoll_os::host::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr unsigned kNodes = 4;
constexpr std::chrono::milliseconds kProgramWait = 30s;
// Traders advertise every second and forget a node unheard for 5 s (servers/trader/view.h);
// the margin is for four TCG nodes sharing two cores.
constexpr auto kViewWait = 60s;
constexpr auto kForgetBound = 20s;

class TraderTest : public ClusterFixture {
 protected:
  static void TearDownTestSuite() { shared_.reset(); }
  void SetUp() override {
    if (shared_) return;
    ClusterConfig config;
    config.name = "TraderTest";
    config.nodes = kNodes;
    config.cpu = {"qemu64", "max", "max", "qemu64"};
    auto created = Cluster::create(config);
    ASSERT_TRUE(is_ok(created));
    shared_ = created.release_value();
    ASSERT_TRUE(is_ok(shared_->start()));
    ASSERT_TRUE(is_ok(shared_->wait_ready(kNodeWait)));
  }
  Cluster* cluster() override { return shared_.get(); }

  /// Node `node`'s view once it holds exactly the nodes `wanted` says (or the last one).
  std::vector<TraderNode> view_when(unsigned node, size_t wanted, std::chrono::seconds within) {
    std::vector<TraderNode> view;
    for (auto deadline = Clock::now() + within; Clock::now() < deadline;) {
      auto v = trader_view(ctl(node), kClusterReplyWait);
      EXPECT_TRUE(is_ok(v));
      if (!v) return {};
      view = *v;
      if (view.size() == wanted) return view;
      std::this_thread::sleep_for(500ms);
    }
    return view;
  }

  static inline std::unique_ptr<Cluster> shared_;
};

bool has_feature(const TraderNode& node, const std::string& feature) {
  std::string list = "," + node.features + ",";
  return list.find("," + feature + ",") != std::string::npos;
}

TEST_F(TraderTest, EveryTraderSeesEveryNodeWithItsCpu) {
  for (unsigned node : {0u, 2u}) {
    std::vector<TraderNode> view = view_when(node, kNodes, kViewWait);
    ASSERT_EQ(view.size(), kNodes) << "node " << node << "'s trader does not see every node";
    for (unsigned i = 0; i < kNodes; ++i) {
      EXPECT_EQ(view[i].node, i);
      EXPECT_EQ(view[i].isa, "x86_64");
      EXPECT_EQ(view[i].abi, 1u);
      EXPECT_GT(view[i].mem_total_mib, 200u);
      EXPECT_LE(view[i].mem_free_mib, view[i].mem_total_mib);
      EXPECT_GT(view[i].processes, 5u);  // the servers
      EXPECT_LT(view[i].age_ms, 10'000u);
    }
    // `max` offers what `qemu64` lacks (SSSE3 at least), never the other way round.
    EXPECT_TRUE(has_feature(view[1], "ssse3")) << view[1].features;
    EXPECT_FALSE(has_feature(view[0], "ssse3")) << view[0].features;
    EXPECT_EQ(view[1].features, view[2].features);
    EXPECT_EQ(view[0].features, view[3].features);
  }
}

TEST_F(TraderTest, QueriesSelectAndAMalformedOneGetsAClearError) {
  ASSERT_EQ(view_when(0, kNodes, kViewWait).size(), kNodes);
  auto homogeneous = trader_query(ctl(0), "isa == x86_64 and has(ssse3) prefer max node");
  ASSERT_TRUE(is_ok(homogeneous));
  ASSERT_TRUE(homogeneous->verdict.ok) << homogeneous->verdict.reason;
  EXPECT_EQ(homogeneous->node.node, 2u);
  EXPECT_EQ(homogeneous->matched, 2u);
  auto none = trader_query(ctl(0), "mem_total > 100000");
  ASSERT_TRUE(is_ok(none));
  EXPECT_FALSE(none->verdict.ok);
  EXPECT_EQ(none->verdict.error, "not_found");
  auto malformed = trader_query(ctl(0), "load < and has(avx2)");
  ASSERT_TRUE(is_ok(malformed));
  EXPECT_FALSE(malformed->verdict.ok);
  EXPECT_EQ(malformed->verdict.error, "bad_format");
  EXPECT_EQ(malformed->verdict.reason,
            "column 8: expected a number (at most 3 decimals) after the comparison");
  auto unknown = trader_query(ctl(0), "has(avx3)");
  ASSERT_TRUE(is_ok(unknown));
  EXPECT_EQ(unknown->verdict.reason, "column 5: unknown CPU feature 'avx3'");
}

TEST_F(TraderTest, AProcessFromAMaxNodeGoesOnlyToAnotherMaxNode) {
  ASSERT_EQ(view_when(1, kNodes, kViewWait).size(), kNodes);
  auto counter = GuestProgram::start(ctl(1), "counter 0 100", kProgramWait);
  ASSERT_TRUE(is_ok(counter));
  ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::substring("counter: 3 "), kProgramWait)));

  auto refused = migrate(ctl(1), counter->pid(), 0, "eager");
  ASSERT_TRUE(is_ok(refused));
  EXPECT_FALSE(refused->ok);
  EXPECT_NE(refused->reason.find("the destination's CPU lacks "), std::string::npos)
      << refused->reason;
  EXPECT_NE(refused->reason.find("ssse3"), std::string::npos) << refused->reason;
  std::cerr << describe(*refused) << std::endl;

  auto accepted = migrate(ctl(1), counter->pid(), 2, "eager");
  ASSERT_TRUE(is_ok(accepted));
  ASSERT_TRUE(accepted->ok) << describe(*accepted);
  counter->follow_to(ctl(2));
  ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::regex("counter: [0-9]+ "), kProgramWait)));

  // The record of its features came along: from node 2, "any" can only be node 1.
  ASSERT_EQ(view_when(2, kNodes, kViewWait).size(), kNodes);
  auto any = migrate(ctl(2), counter->pid(), kAnyNode, "eager");
  ASSERT_TRUE(is_ok(any));
  ASSERT_TRUE(any->ok) << describe(*any);
  EXPECT_EQ(any->to, 1u) << describe(*any);
  counter->follow_to(ctl(1));
  ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::regex("counter: [0-9]+ "), kProgramWait)));
  ASSERT_TRUE(is_ok(counter->kill(kProgramWait)));
}

// pm's record, not the CPU of the node it happens to be on, is what counts: a process started
// on a qemu64 node, moved to a max node, may still go back to a qemu64 node.
TEST_F(TraderTest, AProcessFromAQemu64NodeMayGoAnywhereAndKeepsItsRecord) {
  auto counter = GuestProgram::start(ctl(3), "counter 0 100", kProgramWait);
  ASSERT_TRUE(is_ok(counter));
  ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::substring("counter: 3 "), kProgramWait)));
  unsigned at = 3;
  for (unsigned to : {1u, 0u}) {
    auto moved = migrate(ctl(at), counter->pid(), to, "eager");
    ASSERT_TRUE(is_ok(moved));
    ASSERT_TRUE(moved->ok) << describe(*moved);
    counter->follow_to(ctl(to));
    at = to;
    ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::regex("counter: [0-9]+ "), kProgramWait)));
  }
  // A fresh cluster's traders know each other only after their first adverts (one a
  // second); the two moves above may take less than that.
  ASSERT_EQ(view_when(at, kNodes, kViewWait).size(), kNodes);
  auto any = migrate(ctl(at), counter->pid(), kAnyNode, "eager");
  ASSERT_TRUE(is_ok(any));
  ASSERT_TRUE(any->ok) << describe(*any);
  EXPECT_NE(any->to, at);
  counter->follow_to(ctl(any->to));
  ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::regex("counter: [0-9]+ "), kProgramWait)));
  ASSERT_TRUE(is_ok(counter->kill(kProgramWait)));
}

// Last: it leaves the cluster without node 3.
TEST_F(TraderTest, AKilledNodeLeavesTheViewInBoundedTime) {
  ASSERT_EQ(view_when(0, kNodes, kViewWait).size(), kNodes);
  cluster()->kill_node(3);
  const auto killed = Clock::now();
  std::vector<TraderNode> view = view_when(0, kNodes - 1, kForgetBound);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed);
  std::cerr << "node 3 left node 0's view after " << took.count() << " ms" << std::endl;
  ASSERT_EQ(view.size(), kNodes - 1) << "node 3 still in the view after " << took.count() << " ms";
  for (const TraderNode& n : view) EXPECT_NE(n.node, 3u);
  // A query never offers the dead node.
  auto query = trader_query(ctl(0), "node == 3");
  ASSERT_TRUE(is_ok(query));
  EXPECT_FALSE(query->verdict.ok);
}

}  // namespace
}  // namespace atoll_os::host::testing
