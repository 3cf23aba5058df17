// Cluster preparation without QEMU: run directories, each node's command line and NIC.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hostlib/cluster.h"
#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

std::string text_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A build tree whose ISO is an empty file: enough for everything short of booting.
class ClusterPrepareTest : public ::testing::Test {
 protected:
  ClusterPrepareTest() : tree_(tmp_.path()) {
    std::filesystem::create_directories(tree_.iso().parent_path());
    std::ofstream(tree_.iso()) << "";
  }

  TempDir tmp_;
  BuildTree tree_;
};

TEST_F(ClusterPrepareTest, NodesGetTheirAddressOnTheConfigDiskAndANicOnTheSwitch) {
  ClusterConfig config;
  config.nodes = 2;
  config.extra_cmdline = "selftest";
  auto cluster = Cluster::create(config, tree_);
  ASSERT_TRUE(is_ok(cluster));
  ASSERT_EQ((*cluster)->size(), 2u);
  Node& node = (*cluster)->node(1);
  EXPECT_EQ(
      text_of(node.run_dir() / "atoll.cfg"),
      "set atoll_cmdline=\"node=1 nodes=2 ip=10.77.0.2/24 mac=52:54:00:77:00:01 selftest\"\n");
  const std::string argv = shell_quote(node.argv());
  EXPECT_NE(argv.find("vde,id=net0,sock=" + (*cluster)->vde_switch().socket_dir().string()),
            std::string::npos)
      << argv;
  EXPECT_NE(argv.find("mac=52:54:00:77:00:01"), std::string::npos) << argv;
}

TEST_F(ClusterPrepareTest, RunRootGivesFixedDirectoriesThatDestructionRemoves) {
  ClusterConfig config;
  config.nodes = 2;
  config.run_root = tmp_.path() / "runs" / "cluster";
  {
    auto cluster = Cluster::create(config, tree_);
    ASSERT_TRUE(is_ok(cluster));
    EXPECT_EQ((*cluster)->node(0).run_dir(), *config.run_root / "node0");
    EXPECT_EQ((*cluster)->vde_switch().socket_dir(), *config.run_root / "switch" / "switch");
    EXPECT_TRUE(std::filesystem::exists(*config.run_root / "node1" / "config.img"));
  }
  EXPECT_FALSE(std::filesystem::exists(*config.run_root / "node1"));
  EXPECT_FALSE(std::filesystem::exists(*config.run_root / "switch"));
}

TEST_F(ClusterPrepareTest, AnInvalidConfigCreatesNothing) {
  ClusterConfig config;
  config.nodes = 2;
  config.memory = {"1G", "1G", "1G"};
  auto cluster = Cluster::create(config, tree_);
  EXPECT_EQ(cluster.error(), Error::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(tree_.runs()) && !std::filesystem::is_empty(tree_.runs()));
}

}  // namespace
}  // namespace atoll_os::host::testing
