// Node preparation without QEMU: run directories, the config disk, argv, and cleanup.
#include "hostlib/node.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

// A build tree whose ISO is an empty file: enough for everything short of booting.
class NodePrepareTest : public ::testing::Test {
 protected:
  NodePrepareTest() : tree_(tmp_.path()) {
    std::filesystem::create_directories(tree_.iso().parent_path());
    std::ofstream(tree_.iso()) << "";
  }

  TempDir tmp_;
  BuildTree tree_;
};

TEST_F(NodePrepareTest, MissingIsoIsReportedWithTheTargetToBuild) {
  std::filesystem::remove(tree_.iso());
  auto node = Node::create(NodeConfig{}, tree_);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.error(), Error::kNotFound);
  EXPECT_NE(node.failure().message.find("atoll_iso"), std::string::npos);
}

TEST_F(NodePrepareTest, RunDirectoryIsNamedAfterNodeAndProcess) {
  NodeConfig config;
  config.name = "alpha";
  auto node = Node::create(config, tree_);
  ASSERT_TRUE(is_ok(node));
  const std::string leaf = (*node)->run_dir().filename().string();
  EXPECT_EQ((*node)->run_dir().parent_path(), tree_.runs());
  EXPECT_EQ(leaf.rfind("alpha-" + std::to_string(getpid()) + "-", 0), 0u) << leaf;
  EXPECT_TRUE(std::filesystem::exists((*node)->files().config_disk));
  EXPECT_EQ((*node)->files().serial_log, (*node)->run_dir() / "serial.log");
}

TEST_F(NodePrepareTest, ArgvUsesTheNodesOwnFiles) {
  auto node = Node::create(NodeConfig{}, tree_);
  ASSERT_TRUE(is_ok(node));
  EXPECT_EQ((*node)->argv(), qemu_argv((*node)->config(), (*node)->files()));
  EXPECT_EQ((*node)->files().iso, tree_.iso());
}

TEST_F(NodePrepareTest, TwoNodesGetDistinctRunDirectories) {
  auto a = Node::create(NodeConfig{}, tree_);
  auto b = Node::create(NodeConfig{}, tree_);
  ASSERT_TRUE(is_ok(a));
  ASSERT_TRUE(is_ok(b));
  EXPECT_NE((*a)->run_dir(), (*b)->run_dir());
}

TEST_F(NodePrepareTest, RunDirectoryIsRemovedUnlessKept) {
  std::filesystem::path removed, kept;
  {
    auto a = Node::create(NodeConfig{}, tree_);
    auto b = Node::create(NodeConfig{}, tree_);
    ASSERT_TRUE(is_ok(a));
    ASSERT_TRUE(is_ok(b));
    removed = (*a)->run_dir();
    kept = (*b)->run_dir();
    (*b)->keep_run_dir();
  }
  EXPECT_FALSE(std::filesystem::exists(removed));
  EXPECT_TRUE(std::filesystem::exists(kept / "config.img"));
}

TEST_F(NodePrepareTest, WaitsOnANodeThatWasNeverStartedFail) {
  auto node = Node::create(NodeConfig{}, tree_);
  ASSERT_TRUE(is_ok(node));
  EXPECT_EQ((*node)->wait_for(LogPattern::substring("x"), std::chrono::seconds(1)).error(),
            Error::kBadHandle);
  EXPECT_EQ((*node)->wait_exit(std::chrono::seconds(1)).error(), Error::kBadHandle);
}

TEST_F(NodePrepareTest, ControlSocketIsInTheRunDirectory) {
  auto node = Node::create(NodeConfig{}, tree_);
  ASSERT_TRUE(is_ok(node));
  EXPECT_EQ((*node)->files().control_socket, (*node)->run_dir() / "control.sock");
  EXPECT_EQ((*node)->control(), nullptr) << "connected only by start()";
  EXPECT_EQ((*node)->wait_control_ready(std::chrono::seconds(1)).error(), Error::kBadHandle);
}

// A socket address holds ~107 bytes; a deep build tree gets a short symlink to the run
// directory instead, removed with the node.
TEST_F(NodePrepareTest, ControlSocketOfADeepRunDirectoryGoesThroughAShortLink) {
  const BuildTree deep(tmp_.path() / std::string(60, 'd') / std::string(60, 'e'));
  std::filesystem::create_directories(deep.iso().parent_path());
  std::ofstream(deep.iso()) << "";
  std::filesystem::path link;
  {
    auto node = Node::create(NodeConfig{}, deep);
    ASSERT_TRUE(is_ok(node));
    const auto socket = (*node)->files().control_socket;
    EXPECT_LT(socket.string().size(), 108u) << socket;
    link = socket.parent_path();
    EXPECT_TRUE(std::filesystem::is_symlink(link)) << link;
    EXPECT_EQ(std::filesystem::canonical(link), std::filesystem::canonical((*node)->run_dir()));
  }
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(link)));
}

}  // namespace
}  // namespace atoll_os::host::testing
