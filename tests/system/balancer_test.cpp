// The balancer end to end on a four-node cluster: it boots off; malformed or out-of-range
// parameters are refused with the field named; switched on, eight CPU-bound jobs started on
// node 0 get spread over the other nodes, the balancers then stay quiet while the load is
// even, and every job finishes with the right checksum.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "hostlib/balance_bench.h"
#include "hostlib/balancer.h"
#include "support/cluster_fixture.h"

namespace atoll_os::host::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr unsigned kNodes = 4;
constexpr unsigned kJobs = 8;
// Work per job: TCG runs cpuburn at about 700 million steps/s on a free host core; with two
// jobs on each of four nodes sharing two host cores, a job runs about 30 s once spread
// (spreading took 8 s), long enough to watch the balancers stay quiet.
constexpr uint64_t kMillions = 6000;
constexpr auto kSpreadWithin = 150s;
constexpr auto kQuietWindow = 15s;
constexpr auto kFinishWithin = 240s;

class BalancerTest : public ClusterFixture {
 protected:
  static void TearDownTestSuite() { shared_.reset(); }
  void SetUp() override {
    if (shared_) return;
    ClusterConfig config;
    config.name = "BalancerTest";
    config.nodes = kNodes;
    auto created = Cluster::create(config);
    ASSERT_TRUE(is_ok(created));
    shared_ = created.release_value();
    ASSERT_TRUE(is_ok(shared_->start()));
    ASSERT_TRUE(is_ok(shared_->wait_ready(kNodeWait)));
  }
  Cluster* cluster() override { return shared_.get(); }

  BalancerAnswer answer(unsigned node, const std::string& words) {
    auto a = balancer_command(ctl(node), words, kClusterReplyWait);
    EXPECT_TRUE(is_ok(a)) << words;
    return a ? *a : BalancerAnswer{};
  }

  uint64_t migrations() {
    uint64_t sum = 0;
    for (unsigned n = 0; n < kNodes; ++n) sum += answer(n, "status").state.migrations;
    return sum;
  }

  static inline std::unique_ptr<Cluster> shared_;
};

// Jobs per node now, and whether they are as even as they can be (max - min <= 1).
bool even(const JobWatch& watch) {
  std::map<unsigned, unsigned> count;
  for (unsigned n = 0; n < kNodes; ++n) count[n] = 0;
  for (const auto& [pid, node] : watch.where()) ++count[node];
  auto [lo, hi] = std::minmax_element(count.begin(), count.end(),
                                      [](auto& a, auto& b) { return a.second < b.second; });
  return watch.where().size() == kJobs && hi->second - lo->second <= 1;
}

TEST_F(BalancerTest, BootsOffAndRefusesBadParametersNamingTheField) {
  BalancerAnswer status = answer(0, "status");
  ASSERT_TRUE(status.verdict.ok) << status.verdict.reason;
  EXPECT_FALSE(status.state.enabled);
  EXPECT_EQ(status.state.threshold, "1.500");
  EXPECT_EQ(status.state.strategy, "auto");

  BalancerAnswer malformed = answer(1, "set threshold=abc");
  EXPECT_FALSE(malformed.verdict.ok);
  EXPECT_EQ(malformed.verdict.error, "bad_command");
  EXPECT_EQ(malformed.verdict.reason,
            "threshold: expected a load such as 1.5 (at most 3 decimals)");

  BalancerAnswer range = answer(1, "set max_moves=9");
  EXPECT_FALSE(range.verdict.ok);
  EXPECT_EQ(range.verdict.error, "invalid_argument");
  EXPECT_EQ(range.verdict.reason, "max_moves out of 1..8");

  BalancerAnswer set = answer(2, "set margin=0.75 cooldown=4000");
  ASSERT_TRUE(set.verdict.ok) << set.verdict.reason;
  EXPECT_EQ(set.state.margin, "0.750");
  EXPECT_EQ(set.state.cooldown_ms, 4000u);
  EXPECT_FALSE(set.state.enabled);
  ASSERT_TRUE(answer(2, "set margin=0.5 cooldown=3000").verdict.ok);
}

TEST_F(BalancerTest, SpreadsJobsThenStaysQuietAndEveryJobFinishesRight) {
  ASSERT_TRUE(is_ok(balancer_everywhere(*cluster(), "on")));
  std::vector<ControlChannel*> nodes;
  for (unsigned n = 0; n < kNodes; ++n) nodes.push_back(&ctl(n));
  std::vector<uint64_t> pids;
  for (unsigned j = 0; j < kJobs; ++j) {
    auto reply = ctl(0).command_ok("run cpuburn " + std::to_string(kMillions), kClusterReplyWait);
    ASSERT_TRUE(is_ok(reply));
    pids.push_back(reply->uint64_at("pid").value_or(0));
  }
  JobWatch watch(nodes, pids);

  // Spread: the jobs reach an even placement, some on at least two other nodes.
  auto started = Clock::now();
  while (Clock::now() - started < kSpreadWithin && !watch.all_done() && !even(watch)) {
    ASSERT_TRUE(is_ok(watch.poll(kClusterReplyWait)));
    std::this_thread::sleep_for(1s);
  }
  std::cout << "placement after " << std::chrono::duration<double>(Clock::now() - started).count()
            << " s: " << watch.placement() << std::endl;
  ASSERT_TRUE(even(watch)) << "not spread evenly: " << watch.placement() << "; " << watch.done()
                           << " ended";
  std::set<unsigned> used;
  for (const auto& [pid, node] : watch.where()) used.insert(node);
  EXPECT_GE(used.size(), 3u) << watch.placement();

  // Quiet: no migration while the load is even and every job still runs.
  uint64_t before = migrations();
  std::this_thread::sleep_for(kQuietWindow);
  uint64_t after = migrations();
  ASSERT_TRUE(is_ok(watch.poll(kClusterReplyWait)));
  ASSERT_EQ(watch.done(), 0u) << "a job ended during the quiet window: raise kMillions";
  EXPECT_EQ(after, before) << "the balancers moved jobs although the load was even; placement "
                           << watch.placement()
                           << "; node 0 last: " << answer(0, "status").state.last;

  // Every job finishes, with the checksum it would have had without moving.
  for (auto deadline = Clock::now() + kFinishWithin;
       !watch.all_done() && Clock::now() < deadline;) {
    std::this_thread::sleep_for(1s);
    ASSERT_TRUE(is_ok(watch.poll(kClusterReplyWait)));
  }
  ASSERT_TRUE(watch.all_done()) << watch.done() << " of " << kJobs << " ended";
  auto checked = check_cpuburn_results(watch, kMillions);
  EXPECT_TRUE(is_ok(checked)) << (checked ? "" : checked.failure().message);
  EXPECT_GE(after, 3u) << "spreading eight jobs over four nodes takes at least three moves";
  for (unsigned n = 0; n < kNodes; ++n) {
    BalancerAnswer s = answer(n, "status");
    EXPECT_EQ(s.state.failures, 0u) << "node " << n << ": " << s.state.last;
  }
  EXPECT_TRUE(is_ok(balancer_everywhere(*cluster(), "off")));
}

}  // namespace
}  // namespace atoll_os::host::testing
