// ClusterConfig: validation and the NodeConfig each node gets.
#include "hostlib/cluster_config.h"

#include <gtest/gtest.h>

#include "support/host_result_assertion.h"

namespace atoll_os::host::testing {
namespace {

const std::filesystem::path kSwitch = "/b/runs/c-switch-1-0/switch";

TEST(ClusterConfigTest, EachNodeGetsItsAddressThenTheExtraWords) {
  ClusterConfig config;
  config.extra_cmdline = "selftest";
  const NodeConfig n = node_config(config, 2, kSwitch);
  EXPECT_EQ(n.cmdline, "node=2 nodes=3 ip=10.77.0.3/24 mac=52:54:00:77:00:02 selftest");
  EXPECT_EQ(n.name, "cluster-node2");
  ASSERT_TRUE(n.nic.has_value());
  EXPECT_EQ(n.nic->mac, "52:54:00:77:00:02");
  EXPECT_EQ(n.nic->switch_dir, kSwitch);
  EXPECT_FALSE(n.nic->pcap);
  EXPECT_EQ(node_config(ClusterConfig{}, 0, kSwitch).cmdline,
            "node=0 nodes=3 ip=10.77.0.1/24 mac=52:54:00:77:00:00");
}

TEST(ClusterConfigTest, EveryNodeIsToldTheClusterSize) {
  ClusterConfig config;
  config.nodes = 5;
  for (unsigned i = 0; i < config.nodes; ++i) {
    EXPECT_NE(node_config(config, i, kSwitch).cmdline.find(" nodes=5 "), std::string::npos) << i;
  }
  config.nodes = 1;
  EXPECT_EQ(node_config(config, 0, kSwitch).cmdline,
            "node=0 nodes=1 ip=10.77.0.1/24 mac=52:54:00:77:00:00");
}

TEST(ClusterConfigTest, PerNodeListsAndASingleValueForAll) {
  ClusterConfig config;
  config.nodes = 4;
  config.cpu = {"qemu64", "max", "max", "qemu64"};
  config.memory = {"512M"};
  config.accel = Accel::kKvm;
  ASSERT_TRUE(is_ok(validate(config)));
  EXPECT_EQ(node_config(config, 0, kSwitch).cpu, "qemu64");
  EXPECT_EQ(node_config(config, 1, kSwitch).cpu, "max");
  EXPECT_EQ(node_config(config, 3, kSwitch).cpu, "qemu64");
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_EQ(node_config(config, i, kSwitch).memory, "512M");
    EXPECT_EQ(node_config(config, i, kSwitch).accel, Accel::kKvm);
  }
}

TEST(ClusterConfigTest, CaptureRunRootAndDetachingReachTheNodes) {
  ClusterConfig config;
  config.pcap = {1};
  config.run_root = "/b/runs/cluster";
  config.detachable = true;
  EXPECT_FALSE(node_config(config, 0, kSwitch).nic->pcap);
  EXPECT_TRUE(node_config(config, 1, kSwitch).nic->pcap);
  EXPECT_EQ(node_config(config, 1, kSwitch).run_dir,
            std::filesystem::path("/b/runs/cluster/node1"));
  EXPECT_TRUE(node_config(config, 1, kSwitch).detachable);
  EXPECT_FALSE(node_config(ClusterConfig{}, 1, kSwitch).run_dir.has_value());
  EXPECT_FALSE(node_config(ClusterConfig{}, 1, kSwitch).detachable);
}

TEST(ClusterConfigTest, ValidateRefusesImpossibleClusters) {
  ClusterConfig none;
  none.nodes = 0;
  EXPECT_EQ(validate(none).error(), Error::kInvalidArgument);
  ClusterConfig too_many;
  too_many.nodes = kMaxClusterNodes + 1;
  EXPECT_EQ(validate(too_many).error(), Error::kInvalidArgument);
  ClusterConfig short_list;
  short_list.nodes = 3;
  short_list.cpu = {"qemu64", "max"};
  auto refused = validate(short_list);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.failure().message.find("2 values for 3 nodes"), std::string::npos)
      << refused.failure().message;
  ClusterConfig missing_node;
  missing_node.nodes = 3;
  missing_node.pcap = {3};
  EXPECT_EQ(validate(missing_node).error(), Error::kInvalidArgument);
  ClusterConfig largest;
  largest.nodes = kMaxClusterNodes;
  EXPECT_TRUE(is_ok(validate(largest)));
}

}  // namespace
}  // namespace atoll_os::host::testing
