// A three-node cluster through the host library: every node comes up with its own identity
// and answers on its control channel, and killing one leaves the others answering.
#include <gtest/gtest.h>
#include <signal.h>

#include "support/cluster_fixture.h"

namespace atoll_os::host::testing {
namespace {

/// Its own cluster: the test kills a node.
class ClusterTest : public PerTestCluster<ClusterFixture> {};

TEST_F(ClusterTest, EveryNodeAnswersAndKillingOneLeavesTheOthersAnswering) {
  for (unsigned i = 0; i < kClusterNodes; ++i) {
    // wait_ready checked that ctl reported node i; the kernel saw the whole identity.
    const LogMatch cmdline =
        *cluster()->node(i).wait_for(LogPattern::substring("cmdline:"), kNodeWait);
    EXPECT_NE(cmdline.line.find(address_of(i).cmdline(kClusterNodes)), std::string::npos)
        << cmdline.line;
    ASSERT_NO_FATAL_FAILURE(expect_stats(i));
  }

  const ExitStatus killed = cluster()->kill_node(1);
  EXPECT_EQ(killed, (ExitStatus{.signal = SIGKILL}));
  EXPECT_FALSE(cluster()->node(1).running());
  ASSERT_NO_FATAL_FAILURE(expect_stats(0));
  ASSERT_NO_FATAL_FAILURE(expect_stats(2));
  EXPECT_TRUE(cluster()->vde_switch().running());
}

}  // namespace
}  // namespace atoll_os::host::testing
