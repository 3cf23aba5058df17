// NodeTest: a fixture that boots one QEMU node and keeps and shows its log if the test fails.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "hostlib/kernel_exit.h"
#include "hostlib/node.h"
#include "support/host_result_assertion.h"

namespace atoll_os::host::testing {

/// Limit on every wait for the guest; TCG boots in seconds, so this only catches hangs.
inline constexpr std::chrono::milliseconds kNodeWait = std::chrono::seconds(120);

/// Console lines shown when a test fails.
inline constexpr size_t kReportLines = 40;

/// On destruction during a failed test, keeps the node's run directory and prints where it
/// is, the console's last lines and QEMU's own output. Destroy it before the Node.
class KeepLogOnFailure {
 public:
  explicit KeepLogOnFailure(Node& node) : node_(node) {}
  KeepLogOnFailure(const KeepLogOnFailure&) = delete;
  KeepLogOnFailure& operator=(const KeepLogOnFailure&) = delete;
  ~KeepLogOnFailure() {
    if (!::testing::Test::HasFailure()) return;
    node_.keep_run_dir();
    std::cerr << "\n=== test failed; the node's run directory is kept ===\n"
              << node_.failure_report(kReportLines) << std::endl;
  }

 private:
  Node& node_;
};

/// Fixture for system tests: boot() starts a node with a kernel command line.
class NodeTest : public ::testing::Test {
 protected:
  /// Use as ASSERT_NO_FATAL_FAILURE(boot("...")).
  void boot(const std::string& cmdline) {
    NodeConfig config;
    config.name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    config.cmdline = cmdline;
    auto created = Node::create(config);
    ASSERT_TRUE(is_ok(created));
    node_ = created.release_value();
    guard_.emplace(*node_);
    ASSERT_TRUE(is_ok(node_->start()));
  }

  Node& node() { return *node_; }

  /// Waits for `pattern` on the console (from line `from`) within kNodeWait.
  HostResult<LogMatch> wait_for(const LogPattern& pattern, size_t from = 0) {
    return node_->wait_for(pattern, kNodeWait, from);
  }

  /// Waits for QEMU to exit; fails the test if it does not within kNodeWait.
  std::optional<ExitStatus> wait_exit() {
    auto status = node_->wait_exit(kNodeWait);
    EXPECT_TRUE(is_ok(status));
    if (!status) return std::nullopt;
    return *status;
  }

 private:
  // Declared after node_, so destroyed first: it must run while the node still exists.
  std::unique_ptr<Node> node_;
  std::optional<KeepLogOnFailure> guard_;
};

}  // namespace atoll_os::host::testing
