// balancer: every interval, reads this node's load, the trader's view of the others and pm's
// processes (CPU time since the last sample), asks the policy (policy.h) which processes to
// offer to which homogeneous nodes, and has migm move them; serves configure and status on
// its endpoint "balancer" (docs/balancer.md). It calls pm, the trader and migm; none of them
// calls it, so its two threads cannot deadlock with them.
//
// Arguments (from the manifest): $node $nodes. Privileged (as every manifest server), so
// that pm answers migrate_describe (a process's CPU features).
#include "../lib/serve.h"
#include "../lib/sessions.h"
#include "atoll/protocols/balancer.h"
#include "atoll/protocols/migm.h"
#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "atoll/protocols/trader.h"
#include "atoll/user/clock.h"
#include "atoll/user/lock.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "atoll/user/thread.h"
#include "policy.h"

namespace atoll_os::servers::balancer {
namespace {

namespace bp = protocols::balancer;
namespace pm = protocols::pm;
namespace tp = protocols::trader;
namespace migm = protocols::migm;
using protocols::Call;

constexpr size_t kTrackedMax = 64;  // the policy's bound on candidates
constexpr size_t kNodesMax = 64;
constexpr size_t kDeciderStack = 32 * 1024;

// The state both threads use; only under `lock`.
struct Shared {
  user::YieldingLock lock;
  BalancerParams params = kDefaultParams;
  bp::BalancerStatus status{};
};

Shared g_shared;
uint32_t g_node = 0;
uint64_t g_self_pid = 0;

// A process of this node as the last samples saw it.
struct Tracked {
  uint64_t pid;
  uint64_t cpu_time_ns;  // at the last sample
  uint64_t arrived_ms;   // when first seen, if started on another node; 0: started here
  bool seen;             // in the current sample
};

// What the decider thread samples: its own, never shared.
struct Sampler {
  Tracked tracked[kTrackedMax] = {};
  size_t tracked_count = 0;
  Candidate candidates[kTrackedMax] = {};
  size_t candidate_count = 0;
  NodeLoad others[kNodesMax] = {};
  size_t other_count = 0;
};

// A named service's endpoint from the name service; kNoHandle until it is registered.
abi::Handle find_service(const char* name) {
  protocols::names::Client names(user::process_start().names);
  protocols::names::NameRequest request{};
  protocols::set_text(request.name, name, __builtin_strlen(name));
  protocols::HandleSet handles;
  if (!names.lookup(request, &handles).ok()) return abi::kNoHandle;
  return handles.take(0);
}

struct Clients {
  pm::Client pm{user::process_start().process_manager};
  tp::Client trader;
  migm::Client migm;

  // Both looked up until found (the trader and migm may start after the balancer).
  bool ready() {
    if (trader.endpoint() == abi::kNoHandle) trader = tp::Client(find_service("trader"));
    if (migm.endpoint() == abi::kNoHandle) migm = migm::Client(find_service("migm"));
    return trader.endpoint() != abi::kNoHandle && migm.endpoint() != abi::kNoHandle;
  }
};

// The other nodes' loads and features from the trader's view, page by page.
void sample_others(Clients& c, Sampler& s) {
  s.other_count = 0;
  for (uint32_t first = 0;;) {
    Result<tp::ViewReply> page = c.trader.view({first, 0});
    if (!page.ok()) return;
    for (uint32_t i = 0; i < page->count && s.other_count < kNodesMax; ++i) {
      const tp::NodeOffer& o = page->entries[i];
      if (o.node != g_node) s.others[s.other_count++] = {o.node, o.load_milli, o.features};
    }
    if (!page->more || page->count == 0 || s.other_count == kNodesMax) return;
    first = page->entries[page->count - 1].node + 1;
  }
}

Tracked* find_tracked(Sampler& s, uint64_t pid) {
  for (size_t i = 0; i < s.tracked_count; ++i) {
    if (s.tracked[i].pid == pid) return &s.tracked[i];
  }
  return nullptr;
}

// One process of pm's list: its CPU time since the last sample makes it a candidate.
void take_process(Clients& c, Sampler& s, const pm::ProcessEntry& e, uint64_t now_ms) {
  if (e.parent == 0 || e.pid == g_self_pid || e.state != abi::TaskState::kRunning) return;
  Tracked* t = find_tracked(s, e.pid);
  if (t == nullptr) {
    if (s.tracked_count == kTrackedMax) return;  // bounded: the rest wait for a free slot
    t = &s.tracked[s.tracked_count++];
    bool arrived = pm::pid_node(e.pid) != g_node;  // started elsewhere: it came here
    *t = {e.pid, e.cpu_time_ns, arrived ? now_ms : 0, true};
    return;  // no interval to measure yet
  }
  uint64_t recent = e.cpu_time_ns > t->cpu_time_ns ? e.cpu_time_ns - t->cpu_time_ns : 0;
  t->cpu_time_ns = e.cpu_time_ns;
  t->seen = true;
  if (recent == 0) return;
  Result<pm::DescribeReply> d = c.pm.migrate_describe({e.pid});
  if (!d.ok()) return;  // ended or not movable (adopted, privileged)
  s.candidates[s.candidate_count++] = {e.pid, recent, t->arrived_ms, d->features};
}

// pm's processes: the tracked table follows them, the candidates are the busy ones.
void sample_processes(Clients& c, Sampler& s, uint64_t now_ms) {
  s.candidate_count = 0;
  for (size_t i = 0; i < s.tracked_count; ++i) s.tracked[i].seen = false;
  for (uint64_t after = 0;;) {
    Result<pm::ListReply> page = c.pm.list({after});
    if (!page.ok()) break;
    for (uint32_t i = 0; i < page->count; ++i) take_process(c, s, page->entries[i], now_ms);
    if (!page->more || page->count == 0) break;
    after = page->entries[page->count - 1].pid;
  }
  size_t kept = 0;  // processes gone (ended, moved away) leave the table
  for (size_t i = 0; i < s.tracked_count; ++i) {
    if (s.tracked[i].seen) s.tracked[kept++] = s.tracked[i];
  }
  s.tracked_count = kept;
}

// What kind of outcome a plan is: a change of kind is logged, a repetition is not.
int outcome(const Plan& plan) {
  if (plan.count != 0) return 0;
  const char* kinds[] = {"off", "<= threshold", "cooling", "no movable"};
  for (int k = 0; k < 4; ++k) {
    for (const char* r = plan.reason; *r != '\0'; ++r) {
      size_t n = 0;
      while (kinds[k][n] != '\0' && r[n] == kinds[k][n]) ++n;
      if (kinds[k][n] == '\0') return k + 1;
    }
  }
  return 5;
}

void record_last(const char* text) {
  user::LockGuard guard(g_shared.lock);
  protocols::set_text(g_shared.status.last, text, __builtin_strlen(text));
}

// A strategy migm refused as not built (kNotSupported): eager is used in its stead until
// the parameters name another. Only the decider thread uses it.
migm::Strategy g_unsupported{};

// One migration with `strategy`, or eager if migm does not build it.
Result<migm::MigrationRecord> migrate(Clients& c, const Move& m, migm::Strategy strategy) {
  if (strategy == g_unsupported) strategy = migm::Strategy::kEager;
  Result<migm::MigrationRecord> r = c.migm.migrate({m.pid, m.node, strategy});
  if (r.ok() || r.error() != Error::kNotSupported || strategy == migm::Strategy::kEager) return r;
  user::print("balancer: migm does not build strategy %s: eager instead\n",
              migm::strategy_name(strategy));
  g_unsupported = strategy;
  return c.migm.migrate({m.pid, m.node, migm::Strategy::kEager});
}

// The process ended between the decision and its migration (pm or mm no longer knows it,
// when migm described, froze or measured it for auto): a finished job, not a failed move.
bool ended_first(const Result<migm::MigrationRecord>& r) {
  if (!r.ok() || r->error != int32_t(Error::kNotFound)) return false;
  for (const char* phase : {"describe: ", "freeze: ", "auto: "}) {
    if (__builtin_strncmp(r->reason, phase, __builtin_strlen(phase)) == 0) return true;
  }
  return false;
}

// Asks migm for each move; the counts and the log say how each went.
void carry_out(Clients& c, const Plan& plan, migm::Strategy strategy) {
  for (size_t i = 0; i < plan.count; ++i) {
    const Move& m = plan.moves[i];
    Result<migm::MigrationRecord> r = migrate(c, m, strategy);
    bool ok = r.ok() && r->error == 0;
    const char* why = !r.ok() ? c.migm.last_reason() : r->reason;
    if (ended_first(r)) {
      user::print("balancer: pid %lx ended before it could move\n", m.pid);
      continue;  // nothing failed: the job was done
    }
    if (ok) {
      user::print("balancer: moved pid %lx to node %u (%s, %lu ms, frozen %lu ms)\n", m.pid, m.node,
                  migm::strategy_name(r->strategy), r->total_ns / 1'000'000,
                  r->freeze_ns / 1'000'000);
    } else {
      user::print("balancer: moving pid %lx to node %u failed: %s\n", m.pid, m.node,
                  why[0] != '\0' ? why : "unknown");
    }
    user::LockGuard guard(g_shared.lock);
    ++(ok ? g_shared.status.migrations : g_shared.status.failures);
  }
}

// One round: sample, decide, log a change of course, move.
uint64_t decide_once(Clients& c, Sampler& s, uint64_t& last_move_ms, int& last_outcome) {
  BalancerParams params;
  {
    user::LockGuard guard(g_shared.lock);
    params = g_shared.params;
  }
  uint64_t now_ms = user::now_ns() / 1'000'000;
  uint32_t own = 0;
  if (Result<abi::SystemInfo> info = user::system_info(); info.ok()) own = info->load_milli;
  if (params.enabled != 0) {  // off: nothing is sampled, so nothing is disturbed
    sample_others(c, s);
    sample_processes(c, s, now_ms);
  }
  Situation situation{now_ms,
                      last_move_ms,
                      g_node,
                      own,
                      {s.others, s.other_count},
                      {s.candidates, s.candidate_count}};
  Plan plan = decide(params, situation);
  {
    user::LockGuard guard(g_shared.lock);
    ++g_shared.status.decisions;
    g_shared.status.load_milli = own;
  }
  int kind = outcome(plan);
  if (kind != last_outcome || plan.count != 0) {
    user::print("balancer: %s\n", plan.reason);
    record_last(plan.reason);
    last_outcome = kind;
  }
  if (plan.count != 0) {
    carry_out(c, plan, static_cast<migm::Strategy>(params.strategy));
    last_move_ms = user::now_ns() / 1'000'000;
  }
  return params.interval_ms;
}

void decider_thread(void*) {
  static Clients clients;
  static Sampler sampler;
  uint64_t last_move_ms = 0;
  int last_outcome = -1;
  for (;;) {
    uint64_t interval_ms = kDefaultParams.interval_ms;
    if (clients.ready()) interval_ms = decide_once(clients, sampler, last_move_ms, last_outcome);
    (void)user::sleep_ms(interval_ms);
  }
}

class BalancerService {
 public:
  Result<bp::BalancerStatus> configure(const BalancerParams& p, Call& call) {
    if (const char* wrong = check_params(p); wrong != nullptr) {
      return call.fail(Error::kInvalidArgument, wrong);
    }
    migm::Strategy strategy = static_cast<migm::Strategy>(p.strategy);
    if (__builtin_strcmp(migm::strategy_name(strategy), "unknown") == 0) {
      return call.fail(Error::kInvalidArgument, "strategy is not a migm strategy");
    }
    user::LockGuard guard(g_shared.lock);
    if (p.enabled != g_shared.params.enabled) {
      user::print("balancer: turned %s\n", p.enabled ? "on" : "off");
    }
    g_shared.params = p;
    return snapshot();
  }

  Result<bp::BalancerStatus> status(const protocols::Empty&, Call&) {
    user::LockGuard guard(g_shared.lock);
    return snapshot();
  }

 private:
  // Caller holds the lock.
  static bp::BalancerStatus snapshot() {
    bp::BalancerStatus s = g_shared.status;
    s.params = g_shared.params;
    return s;
  }
};

}  // namespace
}  // namespace atoll_os::servers::balancer

int main(int, char**) {
  using namespace atoll_os;
  using namespace atoll_os::servers::balancer;
  g_node = static_cast<uint32_t>(user::process_start().node);
  g_self_pid = user::process_start().pid;
  abi::Handle endpoint = servers::register_service_endpoint("balancer");
  if (!user::spawn_thread(decider_thread, nullptr, kDeciderStack, abi::kPriorityDefault).ok()) {
    user::fatal("balancer: cannot start the decider thread");
  }
  static BalancerService service;
  user::print("balancer: node %u serving (off until `balancer on`)\n", g_node);
  Result<void> served = user::serve(endpoint, [&](abi::Message& message) {
    return servers::handle_request(message, [&](abi::Message& m, protocols::Call& call) {
      return protocols::balancer::dispatch(service, m, call);
    });
  });
  user::print("balancer: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
