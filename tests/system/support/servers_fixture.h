// ServersTest: boots a node with its servers (init reads servers/boot.manifest) and drives
// it through ctl's control channel; the console log and the channel's transcript are kept
// and shown if the test fails.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "hostlib/control_channel.h"
#include "support/node_fixture.h"

namespace atoll_os::host::testing {

/// One command's reply: ctl answers in milliseconds; the margin is for two TCG nodes
/// sharing two cores with the build.
inline constexpr std::chrono::milliseconds kReplyWait = std::chrono::seconds(20);
/// A program's output or end.
inline constexpr std::chrono::milliseconds kEventWait = std::chrono::seconds(30);

class ServersTest : public NodeTest {
 protected:
  /// Boots with no special option and waits for ctl's {"event":"ready"}.
  /// Use as ASSERT_NO_FATAL_FAILURE(start_servers()).
  void start_servers() {
    ASSERT_NO_FATAL_FAILURE(boot(""));
    booted_ = true;
    auto ready = node().wait_control_ready(kNodeWait);
    ASSERT_TRUE(is_ok(ready));
  }

  void TearDown() override {
    // Whatever a test did, the kernel must not have panicked and ctl must still answer.
    if (booted_) {
      node().poll_log();
      EXPECT_FALSE(node().log().contains(LogPattern::substring("KERNEL PANIC")))
          << "the kernel panicked";
      if (!HasFailure() && ctl().open()) {
        auto ps = ctl().command_ok("ps", kReplyWait);
        EXPECT_TRUE(is_ok(ps)) << "ctl stopped answering";
      }
    }
    NodeTest::TearDown();
  }

  ControlChannel& ctl() { return *node().control(); }

  /// `run COMMAND`; the new process's PID. Use as ASSERT_NO_FATAL_FAILURE(run(..., &pid)).
  void run(const std::string& command, uint64_t* pid) {
    auto reply = ctl().command_ok("run " + command, kReplyWait);
    ASSERT_TRUE(is_ok(reply));
    auto value = reply->uint64_at("pid");
    ASSERT_TRUE(value.has_value()) << reply->to_json();
    *pid = *value;
  }

  /// The next output line of `pid` that contains `text`.
  HostResult<std::string> output_line(uint64_t pid, const std::string& text = "") {
    JsonValue event = HOST_TRY(ctl().take_event(output_from(pid, text), kEventWait));
    return *event.string_at("text");
  }

  /// The exit event of `pid`.
  HostResult<JsonValue> exit_event(uint64_t pid) {
    return ctl().take_event(exit_of(pid), kEventWait);
  }

  /// The output lines of `pid` queued so far, taken off the queue, in order.
  std::vector<std::string> take_output(uint64_t pid) {
    ctl().poll();
    std::vector<std::string> lines;
    while (auto event = ctl().take_event(output_from(pid), std::chrono::milliseconds(0))) {
      lines.push_back(*event->string_at("text"));
    }
    return lines;
  }

  /// The `ps` entry of `pid`, if listed.
  std::optional<JsonValue> ps_entry(uint64_t pid) {
    auto ps = ctl().command_ok("ps", kReplyWait);
    EXPECT_TRUE(is_ok(ps));
    if (!ps) return std::nullopt;
    const JsonValue* processes = ps->find("processes");
    if (processes == nullptr) return std::nullopt;
    for (const JsonValue& p : processes->items()) {
      if (p.uint64_at("pid") == pid) return p;
    }
    return std::nullopt;
  }

 private:
  bool booted_ = false;
};

}  // namespace atoll_os::host::testing
