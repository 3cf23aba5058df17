// The balancer from the host: its status and parameters through a node's ctl (`balancer
// status|on|off|set ...`), and JobWatch, which follows a batch of jobs as balancers move
// them between nodes (the balance benchmark and the system test).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hostlib/control_channel.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

/// One node's balancer as `balancer status` shows it.
struct BalancerState {
  unsigned node = 0;
  bool enabled = false;
  std::string threshold;  // loads as ctl writes them: "1.500"
  std::string margin;
  uint64_t interval_ms = 0;
  uint64_t cooldown_ms = 0;
  uint64_t settle_ms = 0;
  uint64_t max_moves = 0;
  std::string strategy;
  uint64_t decisions = 0;
  uint64_t migrations = 0;
  uint64_t failures = 0;
  std::string load;
  std::string last;  // the last decision that moved something or changed course
};

/// What ctl answered: the state, or its error and reason.
struct BalancerAnswer {
  ReplyVerdict verdict;  // not ok: the error and reason, and nothing else is set
  BalancerState state;
};

inline constexpr std::chrono::seconds kBalancerWait{20};

/// Sends `balancer WORDS` ("status", "on", "set threshold=2 ...") to the node's ctl. A
/// refusal is an answer with ok false; a silent or garbled ctl is a failure.
HostResult<BalancerAnswer> balancer_command(ControlChannel& control, const std::string& words,
                                            std::chrono::milliseconds timeout = kBalancerWait);

/// A status reply as BalancerState (kBadFormat if a field is missing).
HostResult<BalancerState> parse_balancer_state(const JsonValue& reply);

/// The checksum `cpuburn MILLIONS` prints (apps/cpuburn: the same generator, on the host).
uint64_t cpuburn_checksum(uint64_t millions);

/// Follows jobs (by PID) across the nodes of a cluster: every poll reads each node's
/// events (output and exits: a moved process's come from the node it runs on) and its `ps`.
/// A job is done once its exit event has come from some node.
class JobWatch {
 public:
  /// `nodes[i]` is node i's ctl; they must outlive the watch.
  JobWatch(std::vector<ControlChannel*> nodes, std::vector<uint64_t> pids);

  /// One round over every node; kTimedOut or kNotFound if a node's ctl does not answer.
  HostResult<void> poll(std::chrono::milliseconds reply_timeout);

  bool all_done() const { return exits_.size() == pids_.size(); }
  size_t done() const { return exits_.size(); }
  /// Each unfinished job's node at the last poll (absent: between nodes or ended).
  const std::map<uint64_t, unsigned>& where() const { return where_; }
  /// Nodes each job was ever seen running on.
  const std::map<uint64_t, std::set<unsigned>>& visited() const { return visited_; }
  /// Each job's output lines, from whichever node printed them.
  const std::map<uint64_t, std::vector<std::string>>& lines() const { return lines_; }
  /// Each finished job's exit: "exited 0", "killed -9", ...; "ended" when it printed its
  /// result and left every node's ps without an exit event reaching the host.
  const std::map<uint64_t, std::string>& exits() const { return exits_; }
  /// How many of the unfinished jobs each node runs now ("0:2 1:2 2:2 3:2").
  std::string placement() const;

 private:
  bool is_job(uint64_t pid) const;
  void take_event(const JsonValue& event);

  std::vector<ControlChannel*> nodes_;
  std::vector<uint64_t> pids_;
  std::map<uint64_t, unsigned> where_;
  std::map<uint64_t, std::set<unsigned>> visited_;
  std::map<uint64_t, std::vector<std::string>> lines_;
  std::map<uint64_t, std::string> exits_;
};

/// Every finished job of `watch` exited with 0 (or ended) after printing the checksum
/// `cpuburn MILLIONS` must print; kBadFormat names the first that did not.
HostResult<void> check_cpuburn_results(const JobWatch& watch, uint64_t millions);

}  // namespace atoll_os::host
