// DetachedProcess: identity through /proc, signals, polling for the end.
#include "hostlib/detached_process.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;

// A process that is not our child cannot be waited for; its end is polled at this rate.
constexpr auto kGonePollInterval = std::chrono::milliseconds(10);

bool gone_within(const DetachedProcess& process, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (process.alive()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kGonePollInterval);
  }
  return true;
}

}  // namespace

std::optional<uint64_t> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so fields are counted
  // from the last ')'. STATE is field 3, the start time field 22.
  const size_t comm_end = stat.rfind(')');
  if (comm_end == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(comm_end + 1));
  std::string state;
  fields >> state;
  if (state == "Z" || state == "X") return std::nullopt;
  std::string skipped;
  for (int field = 4; field < 22; ++field) fields >> skipped;
  uint64_t start_time = 0;
  if (!(fields >> start_time)) return std::nullopt;
  return start_time;
}

std::optional<DetachedProcess> DetachedProcess::of(pid_t pid) {
  const std::optional<uint64_t> start = process_start_time(pid);
  if (!start) return std::nullopt;
  return DetachedProcess(pid, *start);
}

bool DetachedProcess::alive() const {
  return process_start_time(pid_) == start_time_;
}

void DetachedProcess::signal(int signal) const {
  if (alive()) ::kill(pid_, signal);
}

bool DetachedProcess::terminate(std::chrono::milliseconds grace) const {
  signal(SIGTERM);
  if (gone_within(*this, grace)) return true;
  signal(SIGKILL);
  return gone_within(*this, grace);
}

}  // namespace atoll_os::host
