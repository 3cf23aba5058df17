// The library refuses a kernel command line that GRUB's quoted string cannot carry.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "hostlib/node.h"

namespace atoll_os::host::testing {
namespace {

TEST(CmdlineRefusalTest, DoubleQuoteIsRefusedBeforeAnythingIsCreated) {
  NodeConfig config;
  config.name = "refused";
  config.cmdline = "exit_after_boot label=\"x\"";
  auto node = Node::create(config);

  ASSERT_FALSE(node.ok()) << "a command line with '\"' was accepted";
  EXPECT_EQ(node.error(), Error::kInvalidArgument);
  EXPECT_NE(node.failure().message.find("'\"'"), std::string::npos) << node.failure().message;
  EXPECT_NE(node.failure().message.find("offset 22"), std::string::npos) << node.failure().message;

  // Refused before the run directory exists: nothing to clean up, nothing half-made.
  const std::string prefix = "refused-" + std::to_string(getpid()) + "-";
  const auto runs = BuildTree::configured().runs();
  if (std::filesystem::exists(runs)) {
    for (const auto& entry : std::filesystem::directory_iterator(runs)) {
      EXPECT_NE(entry.path().filename().string().rfind(prefix, 0), 0u) << entry.path();
    }
  }
}

}  // namespace
}  // namespace atoll_os::host::testing
