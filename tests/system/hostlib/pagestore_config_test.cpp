// The page store's cluster options: which node serves, what every node is told, and the
// spill disk on the store's node only.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli/cli_options.h"
#include "hostlib/cluster_config.h"
#include "hostlib/qemu_command.h"
#include "support/host_result_assertion.h"

namespace atoll_os::host::testing {
namespace {

const std::filesystem::path kSwitch = "/b/runs/c-switch-1-0/switch";

TEST(PagestoreConfigTest, EveryNodeIsToldTheStoreAndItsBound) {
  ClusterConfig config;
  config.pagestore_node = 2;
  config.pagestore_pages = 512;
  config.extra_cmdline = "selftest";
  for (unsigned i = 0; i < config.nodes; ++i) {
    const std::string cmdline = node_config(config, i, kSwitch).cmdline;
    EXPECT_NE(cmdline.find(" pagestore=2 pagestore_pages=512 selftest"), std::string::npos)
        << cmdline;
  }
  // Node 0 is the default and is not spelled out, so existing command lines stay as they were.
  EXPECT_EQ(node_config(ClusterConfig{}, 1, kSwitch).cmdline.find("pagestore"), std::string::npos);
}

TEST(PagestoreConfigTest, TheDiskGoesToTheStoresNodeOnly) {
  ClusterConfig config;
  config.pagestore_node = 1;
  config.pagestore_disk = "/tmp/store.img";
  EXPECT_FALSE(node_config(config, 0, kSwitch).block_disk.has_value());
  EXPECT_EQ(node_config(config, 1, kSwitch).block_disk, std::filesystem::path("/tmp/store.img"));
  EXPECT_FALSE(node_config(config, 2, kSwitch).block_disk.has_value());
}

TEST(PagestoreConfigTest, AStoreNodeOutsideTheClusterIsRefused) {
  ClusterConfig config;
  config.pagestore_node = 3;
  EXPECT_FALSE(is_ok(validate(config)));
  config.pagestore_node = 2;
  EXPECT_TRUE(is_ok(validate(config)));
}

TEST(PagestoreConfigTest, TheDiskIsAVirtioBlockDeviceAtSlotFive) {
  NodeConfig node;
  node.block_disk = "/tmp/a,b.img";
  NodeFiles files{.iso = "/b/atoll.iso", .config_disk = "/b/config.img"};
  const std::vector<std::string> argv = qemu_argv(node, files);
  EXPECT_NE(std::find(argv.begin(), argv.end(), "file=/tmp/a,,b.img,format=raw,if=none,id=store0"),
            argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "virtio-blk-pci,drive=store0,addr=0x5"),
            argv.end());
  const std::vector<std::string> plain = qemu_argv(NodeConfig{}, files);
  EXPECT_EQ(std::find(plain.begin(), plain.end(), "virtio-blk-pci,drive=store0,addr=0x5"),
            plain.end());
}

TEST(PagestoreConfigTest, ClusterUpTakesTheStoreOptions) {
  auto options = cli::parse_options({"up", "--nodes", "3", "--pagestore-node", "2",
                                     "--pagestore-pages=300", "--pagestore-disk", "d.img"});
  ASSERT_TRUE(is_ok(options));
  auto config = cli::cluster_config(*options);
  ASSERT_TRUE(is_ok(config));
  EXPECT_EQ(config->pagestore_node, 2u);
  EXPECT_EQ(config->pagestore_pages, 300u);
  EXPECT_EQ(config->pagestore_disk, std::filesystem::path("d.img"));
  options = cli::parse_options({"up", "--nodes", "2", "--pagestore-node", "2"});
  ASSERT_TRUE(is_ok(options));
  EXPECT_FALSE(is_ok(cli::cluster_config(*options))) << "node 2 of a two-node cluster";
  EXPECT_FALSE(is_ok(cli::parse_options({"up", "--pagestore-pages", "0"})));
}

}  // namespace
}  // namespace atoll_os::host::testing
