// DetachedProcess: a process a host tool started and let run on (`cluster up`), found again
// later by its pid and start time, so that a reused pid is never taken for it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace atoll_os::host {

/// When `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat); nullopt if
/// there is no such process or it has ended and only its zombie is left.
std::optional<uint64_t> process_start_time(pid_t pid);

class DetachedProcess {
 public:
  /// Records the running process `pid`; nullopt if it is not running.
  static std::optional<DetachedProcess> of(pid_t pid);
  /// Records no process; never alive.
  DetachedProcess() = default;
  DetachedProcess(pid_t pid, uint64_t start_time) : pid_(pid), start_time_(start_time) {}

  pid_t pid() const { return pid_; }
  uint64_t start_time() const { return start_time_; }
  /// True while the process recorded is running: same pid, same start time, not a zombie.
  bool alive() const;
  /// Sends `signal` if the process is still the one recorded.
  void signal(int signal) const;
  /// SIGTERM, then SIGKILL if it still runs after `grace`; true once it is gone. The process
  /// is no child of this one, so its end is seen by polling, not by waiting.
  bool terminate(std::chrono::milliseconds grace) const;

  bool operator==(const DetachedProcess&) const = default;

 private:
  pid_t pid_ = -1;
  uint64_t start_time_ = 0;
};

}  // namespace atoll_os::host
