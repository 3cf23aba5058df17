// Node: one QEMU machine booting Atoll, with its run directory, console log and exit status.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hostlib/build_tree.h"
#include "hostlib/control_channel.h"
#include "hostlib/host_result.h"
#include "hostlib/node_config.h"
#include "hostlib/process.h"
#include "hostlib/qemu_command.h"
#include "hostlib/serial_log.h"

namespace atoll_os::host {

/// A line a wait found, and when it appeared relative to the node's launch.
struct LogMatch {
  size_t line_index = 0;
  std::string line;
  std::vector<std::string> groups;  // regex submatches, whole match first
  Milliseconds since_launch{0};
};

/// One node. create() prepares its run directory and config disk; start() launches QEMU.
/// Destroying a Node stops QEMU and deletes the run directory unless keep_run_dir() was
/// called (tests call it on failure, so the log survives for a person to read).
/// Not movable: a Cluster owns its nodes through unique_ptr and hands out references.
class Node {
 public:
  /// Fails with kInvalidArgument for a command line GRUB cannot take, kNotFound if the ISO
  /// has not been built, or with the error of creating the run directory or config disk.
  static HostResult<std::unique_ptr<Node>> create(NodeConfig config,
                                                  const BuildTree& tree = BuildTree::configured());
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node();

  /// Launches QEMU. In kLogFile mode its own stdout/stderr go to `qemu.out` in the run
  /// directory, so QEMU's complaints end up next to the console log. With a control
  /// channel it also connects to it at once (before the guest can print on it), and fails
  /// (QEMU stopped) if it cannot; the channel's transcript goes to `control.log`.
  HostResult<void> start();

  /// The control channel once start() connected it; nullptr without one.
  ControlChannel* control() { return control_ ? &*control_ : nullptr; }
  /// Waits until ctl has said it listens ({"event":"ready"}) and returns its node number.
  HostResult<uint64_t> wait_control_ready(std::chrono::milliseconds timeout);

  /// Waits until a console line at or after `from_line` matches. Fails early with kNotFound
  /// if QEMU exits first, with kTimedOut after `timeout`.
  HostResult<LogMatch> wait_for(const LogPattern& pattern, std::chrono::milliseconds timeout,
                                size_t from_line = 0);
  /// Waits for QEMU to exit; kTimedOut leaves it running.
  HostResult<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
  /// How QEMU ended, if it has; never blocks.
  std::optional<ExitStatus> exit_status();
  bool running();
  /// Stops QEMU (SIGTERM, then SIGKILL) and reads the rest of the log.
  ExitStatus stop();
  /// Kills QEMU at once (SIGKILL), as a crashed machine or a pulled plug would end.
  ExitStatus kill();
  /// Lets QEMU run on after this Node is gone (start it with NodeConfig::detachable, or it
  /// still dies with this process): keeps the run directory, closes the control channel
  /// (QEMU serves the next client) and returns QEMU's pid.
  pid_t release();

  /// Reads new console output; returns how many lines completed. For live followers (demo).
  size_t poll_log();
  const SerialLog& log() const { return log_; }
  /// The last `n` console lines, after reading whatever is new.
  std::vector<std::string> tail(size_t n);
  /// Run directory, last `n` console lines, the last `n` lines of the control channel and
  /// QEMU's own output, for failure messages.
  std::string failure_report(size_t n);

  const NodeConfig& config() const { return config_; }
  const NodeFiles& files() const { return files_; }
  const std::filesystem::path& run_dir() const { return run_dir_; }
  /// The exact QEMU command line start() runs; `run` execs it directly.
  const std::vector<std::string>& argv() const { return argv_; }
  std::optional<Clock::time_point> launched_at() const { return launched_at_; }
  std::optional<int> pid() const;

  void keep_run_dir() { keep_run_dir_ = true; }

 private:
  Node(NodeConfig config, std::filesystem::path run_dir, NodeFiles files,
       std::filesystem::path socket_link);
  std::optional<LogMatch> match_from(const LogPattern& pattern, size_t from_line) const;
  std::string qemu_output() const;

  NodeConfig config_;
  std::filesystem::path run_dir_;
  NodeFiles files_;
  std::vector<std::string> argv_;
  SerialLog log_;
  std::optional<Process> process_;
  std::optional<ControlChannel> control_;
  // A short symlink to run_dir_ when the control socket's path would be too long; removed
  // with the node.
  std::filesystem::path socket_link_;
  std::optional<Clock::time_point> launched_at_;
  bool keep_run_dir_ = false;
};

}  // namespace atoll_os::host
