// A three-node cluster through the host library: every node comes up with its own identity
// and answers on its control channel, and killing one leaves the others answering.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <memory>

#include "hostlib/cluster.h"
#include "support/node_fixture.h"

namespace atoll_os::host::testing {
namespace {

constexpr unsigned kNodes = 3;
// ctl answers in milliseconds; the margin is for three TCG nodes sharing two cores.
constexpr std::chrono::milliseconds kReplyWait = std::chrono::seconds(20);

class ClusterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!cluster_ || !HasFailure()) return;
    cluster_->keep_run_dirs();
    std::cerr << "\n=== test failed; the cluster's run directories are kept ===\n"
              << cluster_->failure_report(kReportLines) << std::endl;
  }

  /// Use as ASSERT_NO_FATAL_FAILURE(start()).
  void start() {
    ClusterConfig config;
    config.name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    config.nodes = kNodes;
    auto created = Cluster::create(config);
    ASSERT_TRUE(is_ok(created));
    cluster_ = created.release_value();
    ASSERT_TRUE(is_ok(cluster_->start()));
    ASSERT_TRUE(is_ok(cluster_->wait_ready(kNodeWait)));
  }

  /// Asserts that node i's ctl answers `stats`.
  void expect_stats(unsigned i) {
    auto stats = cluster_->node(i).control()->command_ok("stats", kReplyWait);
    ASSERT_TRUE(is_ok(stats)) << "node " << i;
    EXPECT_TRUE(stats->uint64_at("uptime_ns").has_value()) << stats->to_json();
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_F(ClusterTest, EveryNodeAnswersAndKillingOneLeavesTheOthersAnswering) {
  ASSERT_NO_FATAL_FAILURE(start());
  for (unsigned i = 0; i < kNodes; ++i) {
    // wait_ready checked that ctl reported node i; the kernel saw the whole identity.
    const LogMatch cmdline =
        *cluster_->node(i).wait_for(LogPattern::substring("cmdline:"), kNodeWait);
    EXPECT_NE(cmdline.line.find(address_of(i).cmdline(kNodes)), std::string::npos) << cmdline.line;
    ASSERT_NO_FATAL_FAILURE(expect_stats(i));
  }

  const ExitStatus killed = cluster_->kill_node(1);
  EXPECT_EQ(killed, (ExitStatus{.signal = SIGKILL}));
  EXPECT_FALSE(cluster_->node(1).running());
  ASSERT_NO_FATAL_FAILURE(expect_stats(0));
  ASSERT_NO_FATAL_FAILURE(expect_stats(2));
  EXPECT_TRUE(cluster_->vde_switch().running());
}

}  // namespace
}  // namespace atoll_os::host::testing
