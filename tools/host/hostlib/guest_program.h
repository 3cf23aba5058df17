// GuestProgram: a program started on a node through its ctl control channel, with its output
// lines and its exit; and KeyValueLine, the key=value words such programs print as results.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hostlib/control_channel.h"
#include "hostlib/host_result.h"
#include "hostlib/serial_log.h"

namespace atoll_os::host {

/// How a guest program ended, as ctl's {"event":"exit"} says.
struct ProgramExit {
  std::string state;  // "exited", "killed" or "faulted"
  int64_t code = 0;

  bool succeeded() const { return state == "exited" && code == 0; }
  bool operator==(const ProgramExit&) const = default;
};

/// One program run with `run NAME ARGS...`. Its output and exit events are taken off the
/// channel's queue as the waits read them, in the order ctl sent them; other programs' events
/// stay queued. Holds a reference to the channel, which must outlive it. Movable.
class GuestProgram {
 public:
  /// Sends `run <command_line>` and returns the started program; kInvalidArgument (quoting
  /// ctl's reason) if ctl refuses, kTimedOut if it does not answer within `reply_timeout`.
  static HostResult<GuestProgram> start(ControlChannel& ctl, std::string command_line,
                                        std::chrono::milliseconds reply_timeout);

  uint64_t pid() const { return pid_; }
  const std::string& command_line() const { return command_line_; }
  /// Every output line collected so far, oldest first.
  const std::vector<std::string>& lines() const { return lines_; }
  /// Set once the exit event has been read.
  const std::optional<ProgramExit>& exit() const { return exit_; }

  /// The first line not yet returned by this call that matches `pattern`, waiting for it up
  /// to `timeout`. kNotFound if the program ends without printing one, kTimedOut if none came
  /// in time; both messages quote the program's last lines.
  HostResult<std::string> wait_for_line(const LogPattern& pattern,
                                        std::chrono::milliseconds timeout);
  /// Waits up to `timeout` for the program to end, collecting its output; kTimedOut (the
  /// program runs on) quotes its last lines.
  HostResult<ProgramExit> wait_exit(std::chrono::milliseconds timeout);
  /// Sends `kill PID` and waits for the exit event; a program that already ended is left
  /// alone.
  HostResult<ProgramExit> kill(std::chrono::milliseconds timeout);

  /// The program migrated to the node `ctl` controls: its output and exit come from there
  /// from now on. What the old node still has queued for it (output printed before the
  /// move) is collected first, for up to `settle` in all.
  void follow_to(ControlChannel& ctl,
                 std::chrono::milliseconds settle = std::chrono::milliseconds(300));

  /// The last collected line that contains `text`.
  std::optional<std::string> last_line_with(std::string_view text) const;
  /// "'netbench info' (pid 5), exited with 0; last lines: ..." for failure messages.
  std::string describe(size_t last_lines = 10) const;

 private:
  GuestProgram(ControlChannel& ctl, std::string command_line, uint64_t pid)
      : ctl_(&ctl), command_line_(std::move(command_line)), pid_(pid) {}
  /// Takes this program's next output or exit event, waiting until `deadline`.
  HostResult<void> take_next(std::chrono::steady_clock::time_point deadline);

  ControlChannel* ctl_;
  std::string command_line_;
  uint64_t pid_;
  std::vector<std::string> lines_;
  size_t searched_ = 0;  // wait_for_line resumes here
  std::optional<ProgramExit> exit_;
};

/// The output and end of a program run to completion.
struct ProgramRun {
  std::string command_line;
  uint64_t pid = 0;
  std::vector<std::string> lines;
  ProgramExit exit;
};

/// Starts `command_line` on `ctl` and waits up to `timeout` for it to end. A program that
/// does not end in time is killed and the result is kTimedOut.
HostResult<ProgramRun> run_program(ControlChannel& ctl, std::string command_line,
                                   std::chrono::milliseconds timeout);

/// The `key=value` words of a line such as "netbench: tcp-sink bytes=1024 checksum=0x1f
/// ns=5 mib_per_s=0.19". Words are separated by spaces; a word without '=' or with an empty
/// key is not a pair; a key given twice keeps its last value.
class KeyValueLine {
 public:
  static KeyValueLine parse(std::string_view line);

  const std::string& line() const { return line_; }
  size_t size() const { return values_.size(); }
  bool has(std::string_view key) const { return values_.find(key) != values_.end(); }
  /// The value as written; kNotFound names the key and quotes the line.
  HostResult<std::string> text(std::string_view key) const;
  /// A decimal or 0x-prefixed hexadecimal whole number fitting 64 bits (kBadFormat otherwise).
  HostResult<uint64_t> unsigned_at(std::string_view key) const;
  /// A decimal number such as "5.12" or "17" (kBadFormat otherwise).
  HostResult<double> decimal_at(std::string_view key) const;

 private:
  std::string line_;
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace atoll_os::host
