// The balancer's ctl replies, and following jobs across nodes.
#include "hostlib/balancer.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace atoll_os::host {

HostResult<BalancerState> parse_balancer_state(const JsonValue& reply) {
  BalancerState s;
  auto node = reply.uint64_at("node");
  auto enabled = reply.bool_at("enabled");
  const std::string* threshold = reply.string_at("threshold");
  const std::string* margin = reply.string_at("margin");
  const std::string* strategy = reply.string_at("strategy");
  const std::string* load = reply.string_at("load");
  const std::string* last = reply.string_at("last");
  auto interval = reply.uint64_at("interval_ms");
  auto cooldown = reply.uint64_at("cooldown_ms");
  auto settle = reply.uint64_at("settle_ms");
  auto max_moves = reply.uint64_at("max_moves");
  auto decisions = reply.uint64_at("decisions");
  auto migrations = reply.uint64_at("migrations");
  auto failures = reply.uint64_at("failures");
  if (!node || !enabled || !threshold || !margin || !strategy || !load || !last || !interval ||
      !cooldown || !settle || !max_moves || !decisions || !migrations || !failures) {
    return fail(Error::kBadFormat, "a balancer status lacks a field: " + reply.to_json());
  }
  s.node = static_cast<unsigned>(*node);
  s.enabled = *enabled;
  s.threshold = *threshold;
  s.margin = *margin;
  s.interval_ms = *interval;
  s.cooldown_ms = *cooldown;
  s.settle_ms = *settle;
  s.max_moves = *max_moves;
  s.strategy = *strategy;
  s.decisions = *decisions;
  s.migrations = *migrations;
  s.failures = *failures;
  s.load = *load;
  s.last = *last;
  return s;
}

HostResult<BalancerAnswer> balancer_command(ControlChannel& control, const std::string& words,
                                            std::chrono::milliseconds timeout) {
  JsonValue reply = HOST_TRY(control.command("balancer " + words, timeout));
  BalancerAnswer answer;
  answer.verdict = verdict_of(reply);
  if (!answer.verdict.ok) return answer;
  answer.state = HOST_TRY(parse_balancer_state(reply));
  return answer;
}

uint64_t cpuburn_checksum(uint64_t millions) {
  uint64_t x = 0x243f6a8885a308d3ull;
  for (uint64_t i = 0; i < millions * 1'000'000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    x ^= x >> 29;
  }
  return x;
}

JobWatch::JobWatch(std::vector<ControlChannel*> nodes, std::vector<uint64_t> pids)
    : nodes_(std::move(nodes)), pids_(std::move(pids)) {}

bool JobWatch::is_job(uint64_t pid) const {
  return std::find(pids_.begin(), pids_.end(), pid) != pids_.end();
}

void JobWatch::take_event(const JsonValue& event) {
  const std::string* kind = event.string_at("event");
  auto pid = event.uint64_at("pid");
  if (kind == nullptr || !pid || !is_job(*pid)) return;
  if (*kind == "output") {
    if (const std::string* text = event.string_at("text")) lines_[*pid].push_back(*text);
  } else if (*kind == "exit") {
    const std::string* state = event.string_at("state");
    auto code = event.int64_at("code");
    exits_[*pid] = (state ? *state : "?") + " " + std::to_string(code.value_or(-1));
    where_.erase(*pid);
  }
}

HostResult<void> JobWatch::poll(std::chrono::milliseconds reply_timeout) {
  std::map<uint64_t, unsigned> seen;
  for (unsigned n = 0; n < nodes_.size(); ++n) {
    JsonValue ps = HOST_TRY(nodes_[n]->command_ok("ps", reply_timeout));
    nodes_[n]->poll();
    while (!nodes_[n]->events().empty()) {
      auto event = nodes_[n]->next_event(std::chrono::milliseconds(0));
      if (!event) break;
      take_event(*event);
    }
    const JsonValue* processes = ps.find("processes");
    if (processes == nullptr) return fail(Error::kBadFormat, "no processes in " + ps.to_json());
    for (const JsonValue& p : processes->items()) {
      auto pid = p.uint64_at("pid");
      const std::string* state = p.string_at("state");
      if (!pid || !is_job(*pid) || state == nullptr || *state != "running") continue;
      seen[*pid] = n;
      visited_[*pid].insert(n);
    }
  }
  where_.clear();
  for (const auto& [pid, node] : seen) {
    if (!exits_.count(pid)) where_[pid] = node;
  }
  // A job that printed its result and runs nowhere ended even if no exit event reached us.
  for (uint64_t pid : pids_) {
    bool printed = lines_.count(pid) && !lines_[pid].empty() &&
                   lines_[pid].back().find("checksum") != std::string::npos;
    if (printed && !seen.count(pid) && !exits_.count(pid)) exits_[pid] = "ended";
  }
  return {};
}

HostResult<void> check_cpuburn_results(const JobWatch& watch, uint64_t millions) {
  char expected[64];
  snprintf(expected, sizeof(expected), "checksum %" PRIx64 " ", cpuburn_checksum(millions));
  for (const auto& [pid, exit] : watch.exits()) {
    auto lines = watch.lines().find(pid);
    bool right = lines != watch.lines().end() && !lines->second.empty() &&
                 lines->second.back().find(expected) != std::string::npos;
    if (!right || (exit != "exited 0" && exit != "ended")) {
      std::string last = lines != watch.lines().end() && !lines->second.empty()
                             ? lines->second.back()
                             : "(no output)";
      return fail(Error::kBadFormat, "job " + std::to_string(pid) + " " + exit + ", wanted '" +
                                         expected + "', last line: " + last);
    }
  }
  return {};
}

std::string JobWatch::placement() const {
  std::map<unsigned, unsigned> count;
  for (const auto& [pid, node] : where_) ++count[node];
  std::string text;
  for (unsigned n = 0; n < nodes_.size(); ++n) {
    text += (text.empty() ? "" : " ") + std::to_string(n) + ":" + std::to_string(count[n]);
  }
  return text;
}

}  // namespace atoll_os::host
