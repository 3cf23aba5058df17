// Child processes of the host tools: start with fork/exec, wait with timeouts, stop, reap.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "hostlib/host_result.h"

namespace atoll_os::host {

/// How a child process ended.
struct ExitStatus {
  bool exited = false;  // true: ended with exit code `code`; false: killed by `signal`
  int code = 0;
  int signal = 0;

  static ExitStatus from_wait_status(int status);
  bool operator==(const ExitStatus&) const = default;
  /// "exit status 33" or "killed by signal 9 (Killed)".
  std::string describe() const;
};

/// Where the child's standard streams go. -1 keeps the parent's stream.
struct SpawnOptions {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  /// A process group of its own keeps the terminal's Ctrl-C (meant for gdb or the test
  /// runner) away from the child; the parent decides when the child stops.
  bool own_process_group = true;
  /// A session of its own (so no terminal's hangup or Ctrl-C reaches it) and no death
  /// signal when this process ends: the child may outlive its parent once release()d.
  /// Implies its own process group.
  bool new_session = false;
};

/// A running (or finished, not yet destroyed) child. Destroying it kills and reaps the child,
/// so no QEMU outlives the object that started it.
class Process {
 public:
  /// Starts argv[0] (looked up in PATH). Fails with kNotFound if it cannot be executed.
  static HostResult<Process> spawn(const std::vector<std::string>& argv,
                                   const SpawnOptions& options = {});

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  /// Reaps the child if it has ended; never blocks.
  std::optional<ExitStatus> poll();
  bool running() { return pid_ > 0 && !poll().has_value(); }
  /// Waits up to `timeout` for the child to end; kTimedOut leaves it running.
  HostResult<ExitStatus> wait(std::chrono::milliseconds timeout);
  /// SIGTERM, then SIGKILL if it has not ended after `grace`; returns how it ended.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(2));
  /// SIGKILL at once, then reaps; returns how it ended.
  ExitStatus kill();
  /// Forgets the child without stopping it and returns its pid; whoever inherits it (init)
  /// reaps it. Only a child spawned with new_session survives this process's exit.
  pid_t release();

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  void kill_and_reap();

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

/// Output and status of a short helper command (mformat, mcopy).
struct CommandOutput {
  ExitStatus status;
  std::string output;  // stdout and stderr, interleaved as written
};

/// Runs argv to completion, capturing its output; kTimedOut (and the child killed) if it
/// takes longer than `timeout`.
HostResult<CommandOutput> run_command(const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout);

/// Like run_command, but a non-zero exit is a failure whose message holds the output.
HostResult<void> run_checked(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout);

/// "a b 'c d'": argv as a shell would need it, for logs and error messages.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace atoll_os::host
