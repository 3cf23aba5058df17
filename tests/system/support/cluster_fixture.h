// ClusterFixture: system tests on a cluster of QEMU nodes; after each test no kernel may have
// panicked, and a failed test keeps the run directories and prints every node's report.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "hostlib/cluster.h"
#include "support/node_fixture.h"

namespace atoll_os::host::testing {

/// Nodes in a test cluster: a pair and a third party.
inline constexpr unsigned kClusterNodes = 3;
/// One ctl reply: ctl answers in milliseconds; the margin is for three TCG nodes sharing two
/// cores.
inline constexpr std::chrono::milliseconds kClusterReplyWait = std::chrono::seconds(20);

/// The checks and helpers; SharedCluster or PerTestCluster says whose cluster it is.
class ClusterFixture : public ::testing::Test {
 protected:
  /// The cluster under test; null until started.
  virtual Cluster* cluster() = 0;

  void TearDown() override {
    Cluster* nodes = cluster();
    if (nodes == nullptr) return;
    for (unsigned i = 0; i < nodes->size(); ++i) {
      nodes->node(i).poll_log();
      EXPECT_FALSE(nodes->node(i).log().contains(LogPattern::substring("KERNEL PANIC")))
          << "node " << i << " panicked";
    }
    if (!HasFailure()) return;
    nodes->keep_run_dirs();
    std::cerr << "\n=== test failed; the cluster's run directories are kept ===\n"
              << nodes->failure_report(kReportLines) << std::endl;
  }

  /// Starts kClusterNodes nodes, named after the test suite, into `slot` and waits until
  /// each is ready. Use as ASSERT_NO_FATAL_FAILURE(start(slot)).
  static void start(std::unique_ptr<Cluster>& slot) {
    ClusterConfig config;
    config.name = ::testing::UnitTest::GetInstance()->current_test_suite()->name();
    config.nodes = kClusterNodes;
    auto created = Cluster::create(config);
    ASSERT_TRUE(is_ok(created));
    slot = created.release_value();
    ASSERT_TRUE(is_ok(slot->start()));
    ASSERT_TRUE(is_ok(slot->wait_ready(kNodeWait)));
  }

  ControlChannel& ctl(unsigned node) { return *cluster()->node(node).control(); }

  /// Asserts that node `node`'s ctl answers `stats`.
  void expect_stats(unsigned node) {
    auto stats = ctl(node).command_ok("stats", kClusterReplyWait);
    ASSERT_TRUE(is_ok(stats)) << "node " << node;
    EXPECT_TRUE(stats->uint64_at("uptime_ns").has_value()) << stats->to_json();
  }
};

/// One cluster for every test of a suite that leaves all nodes running: the first test
/// starts it, and it stops after the last. Each instantiation holds its own cluster, so use
/// it for one suite only. `Fixture` derives from ClusterFixture.
template <typename Fixture>
class SharedCluster : public Fixture {
 protected:
  static void TearDownTestSuite() { shared_.reset(); }
  void SetUp() override {
    if (!shared_) {
      ASSERT_NO_FATAL_FAILURE(Fixture::start(shared_));
    }
  }
  Cluster* cluster() override { return shared_.get(); }

 private:
  static inline std::unique_ptr<Cluster> shared_;
};

/// A cluster of each test's own, for tests that kill a node. `Fixture` derives from
/// ClusterFixture.
template <typename Fixture>
class PerTestCluster : public Fixture {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Fixture::start(cluster_)); }
  Cluster* cluster() override { return cluster_.get(); }

 private:
  std::unique_ptr<Cluster> cluster_;
};

}  // namespace atoll_os::host::testing
