// `demo`: the migration demo. Boots a three-node cluster, starts `counter` and `memtouch` on
// node 0, moves them around the nodes with the eager strategy while they run, shows that
// they continue (counter's sequence and checksum unbroken, memtouch's pages intact) and
// prints the migration records as a table; then moves one memtouch through every strategy,
// side by side (docs/strategies.md); then turns the balancers on and shows six CPU-bound
// jobs started on node 0 spread over the nodes (docs/balancer.md).
#include <cstdio>

#include "cli/commands.h"
#include "hostlib/balance_bench.h"
#include "hostlib/cluster.h"
#include "hostlib/guest_program.h"
#include "hostlib/migration.h"

namespace atoll_os::host::cli {
namespace {

constexpr auto kProgramWait = std::chrono::seconds(60);

struct Move {
  const char* program;  // "counter" or "memtouch"
  unsigned to;
};

// Both programs travel, interleaved: counter 0 -> 1 -> 2 -> 0, memtouch 0 -> 2 -> 1.
constexpr Move kMoves[] = {
    {"counter", 1}, {"memtouch", 2}, {"counter", 2}, {"memtouch", 1}, {"counter", 0}};

struct Traveller {
  GuestProgram program;
  unsigned node = 0;
  size_t shown = 0;  // lines printed so far
};

void show_new_lines(Traveller& t) {
  for (; t.shown < t.program.lines().size(); ++t.shown) {
    printf("  [node %u] %s\n", t.node, t.program.lines()[t.shown].c_str());
  }
  fflush(stdout);
}

// Waits for `count` more lines that contain `text`, printing everything it reads.
HostResult<void> watch(Traveller& t, const char* text, int count) {
  for (int i = 0; i < count; ++i) {
    HOST_TRY(t.program.wait_for_line(LogPattern::substring(text), kProgramWait));
    show_new_lines(t);
  }
  return {};
}

void print_table(const std::vector<std::pair<std::string, MigrationRecord>>& records) {
  printf(
      "\n| process | pid | from | to | strategy | total ms | frozen ms | bytes sent | pages |\n");
  printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const auto& [name, r] : records) {
    printf("| %s | 0x%llx | %u | %u | %s | %.2f | %.2f | %llu | %llu |\n", name.c_str(),
           static_cast<unsigned long long>(r.pid), r.from, r.to, r.strategy.c_str(),
           static_cast<double>(r.total_ns) / 1e6, static_cast<double>(r.freeze_ns) / 1e6,
           static_cast<unsigned long long>(r.bytes_sent),
           static_cast<unsigned long long>(r.pages_sent));
  }
}

int fail_with_logs(Cluster& cluster, const Failure& failure) {
  cluster.keep_run_dirs();
  fprintf(stderr, "atoll-host demo: %s\n%s", failure.describe().c_str(),
          cluster.failure_report(30).c_str());
  return 1;
}

HostResult<void> run_demo(Cluster& cluster) {
  printf("\n$ run counter 0 250    (on node 0)\n");
  Traveller counter{
      HOST_TRY(GuestProgram::start(*cluster.node(0).control(), "counter 0 250", kProgramWait))};
  HOST_TRY(watch(counter, "counter:", 3));
  printf("\n$ run memtouch 8M 200  (on node 0)\n");
  Traveller memtouch{
      HOST_TRY(GuestProgram::start(*cluster.node(0).control(), "memtouch 8M 200", kProgramWait))};
  HOST_TRY(watch(memtouch, "checksum", 2));
  std::vector<std::pair<std::string, MigrationRecord>> records;
  for (const Move& move : kMoves) {
    Traveller& t = std::string(move.program) == "counter" ? counter : memtouch;
    show_new_lines(t);
    printf("\n$ migrate %s (pid 0x%llx) from node %u to node %u\n", move.program,
           static_cast<unsigned long long>(t.program.pid()), t.node, move.to);
    MigrationRecord record =
        HOST_TRY(migrate(*cluster.node(t.node).control(), t.program.pid(), move.to, "eager"));
    printf("  %s\n", describe(record).c_str());
    if (!record.ok) return fail(Error::kBusy, "the migration failed: " + record.reason);
    records.emplace_back(move.program, record);
    t.program.follow_to(*cluster.node(move.to).control());
    show_new_lines(t);
    t.node = move.to;
    HOST_TRY(
        watch(t, t.program.command_line().rfind("counter", 0) == 0 ? "counter:" : "checksum", 2));
  }
  HOST_TRY(counter.program.kill(kProgramWait));
  HOST_TRY(memtouch.program.kill(kProgramWait));
  show_new_lines(counter);
  show_new_lines(memtouch);
  print_table(records);
  HostResult<uint64_t> values = check_counter_lines(counter.program.lines());
  printf("\ncounter: %s\n",
         values ? (std::to_string(*values) + " values, sequence and checksum unbroken").c_str()
                : values.failure().describe().c_str());
  printf("memtouch: %s\n", memtouch.program.last_line_with("MISMATCH")
                               ? "MISMATCH: a page changed in a move"
                               : "every page checked after every move, no mismatch");
  return {};
}

// One memtouch, writing 200 pages a second, moved by each strategy in turn around the nodes:
// the records side by side, and its self-check after every move. The page store runs on
// node 0, which cannot reach it itself: flush and eager-dirty move between nodes 1 and 2.
struct StrategyMove {
  const char* strategy;
  unsigned to;
};
constexpr StrategyMove kStrategyMoves[] = {{"eager", 1},    {"precopy", 2}, {"lazy", 0},
                                           {"postcopy", 1}, {"flush", 2},   {"eager-dirty", 1},
                                           {"auto", 0}};

HostResult<void> run_strategies(Cluster& cluster) {
  printf("\n$ run memtouch 8M 200  (on node 0), then one move per strategy\n");
  Traveller memtouch{
      HOST_TRY(GuestProgram::start(*cluster.node(0).control(), "memtouch 8M 200", kProgramWait))};
  HOST_TRY(watch(memtouch, "checksum", 2));
  std::vector<std::pair<std::string, MigrationRecord>> records;
  for (const auto& [strategy, to] : kStrategyMoves) {
    printf("\n$ migrate memtouch from node %u to node %u --strategy %s\n", memtouch.node, to,
           strategy);
    MigrationRecord record = HOST_TRY(
        migrate(*cluster.node(memtouch.node).control(), memtouch.program.pid(), to, strategy));
    printf("  %s\n", describe(record).c_str());
    if (!record.ok) return fail(Error::kBusy, "the migration failed: " + record.reason);
    records.emplace_back(std::string(strategy) == "auto" ? "memtouch (auto)" : "memtouch", record);
    memtouch.program.follow_to(*cluster.node(to).control());
    memtouch.node = to;
    HOST_TRY(watch(memtouch, "checksum", 2));
  }
  HOST_TRY(memtouch.program.kill(kProgramWait));
  show_new_lines(memtouch);
  print_table(records);
  printf("memtouch: %s\n", memtouch.program.last_line_with("MISMATCH")
                               ? "MISMATCH: a page changed in a move"
                               : "every page checked after every move, no mismatch");
  return {};
}

// The balancers at work: six CPU-bound jobs started on node 0 spread over the nodes.
HostResult<void> run_balancing(Cluster& cluster) {
  printf("\n$ balancer on    (every node)\n$ run cpuburn 3000    (6 times, on node 0)\n");
  HOST_TRY(balancer_everywhere(cluster, "on"));
  BalanceBenchPlan plan{6, 3000};
  BalanceRun run = HOST_TRY(run_balance_batch(cluster, plan, std::chrono::minutes(5)));
  HOST_TRY(balancer_everywhere(cluster, "off"));
  printf(
      "  all 6 finished in %.1f s with the right checksums; %llu migrations, %u nodes used, "
      "most even placement seen %s (node:jobs)\n",
      run.seconds, static_cast<unsigned long long>(run.migrations), run.nodes_used,
      run.peak.c_str());
  return {};
}

}  // namespace

int demo(const CliOptions& options) {
  ClusterConfig config;
  config.name = options.name.value_or("demo");
  config.nodes = 3;
  config.accel = options.node.accel;
  auto created = Cluster::create(config);
  if (!created) return report(created.failure());
  Cluster& cluster = **created;
  printf("atoll-host demo: booting a cluster of 3 nodes (%s) on a virtual switch\n",
         accel_name(config.accel));
  if (auto started = cluster.start(); !started) return fail_with_logs(cluster, started.failure());
  if (auto ready = cluster.wait_ready(options.timeout); !ready) {
    return fail_with_logs(cluster, ready.failure());
  }
  printf("atoll-host demo: nodes 0, 1 and 2 are up (10.77.0.1-3)\n");
  if (auto done = run_demo(cluster); !done) return fail_with_logs(cluster, done.failure());
  if (auto done = run_strategies(cluster); !done) {
    return fail_with_logs(cluster, done.failure());
  }
  if (auto done = run_balancing(cluster); !done) return fail_with_logs(cluster, done.failure());
  printf("\natoll-host demo: done\n");
  return 0;
}

}  // namespace atoll_os::host::cli
