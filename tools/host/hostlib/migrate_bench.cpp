// The migration benchmark: the matrix, its options and its records (the files it writes:
// migrate_bench_report.cpp).
#include "hostlib/migrate_bench.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "hostlib/bench_support.h"
#include "hostlib/guest_program.h"
#include "hostlib/migration.h"
#include "hostlib/net_bench.h"

namespace atoll_os::host {
namespace {

constexpr uint16_t kLinkPort = 7300;
constexpr unsigned kLinkRuns = 3;
constexpr double kMiB = 1024.0 * 1024.0;

// What `command` prints, first line, or "unknown".
std::string first_line_of(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "unknown";
  char line[128] = {};
  bool got = fgets(line, sizeof line, pipe) != nullptr;
  pclose(pipe);
  std::string text = got ? line : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "unknown" : text;
}

std::string revision() {
  const std::string git = std::string("git -C '") + ATOLL_SOURCE_DIR + "' ";
  std::string head = first_line_of(git + "rev-parse --short HEAD 2>/dev/null");
  if (head == "unknown") return head;
  bool dirty = first_line_of(git + "status --porcelain 2>/dev/null") != "unknown";
  return dirty ? head + "-dirty" : head;
}

constexpr char kRateLine[] = "memtouch: rate ";
constexpr size_t kAfterLines = 2;  // the 2 s after the move
constexpr uint64_t kMaxSize = uint64_t{256} << 20;

// The comma-separated items of `text`, empty ones included.
std::vector<std::string> items_of(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find(',', start), text.size());
    items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

bool is_rate_line(const std::string& line) {
  return line.rfind(kRateLine, 0) == 0;
}

// touches and ms of a rate line; false if it lacks them.
bool rate_of(const std::string& line, double& touches, double& ms) {
  KeyValueLine values = KeyValueLine::parse(line);
  HostResult<uint64_t> t = values.unsigned_at("touches");
  HostResult<uint64_t> m = values.unsigned_at("ms");
  if (!t || !m) return false;
  touches = static_cast<double>(*t);
  ms = static_cast<double>(*m);
  return true;
}

// Waits until memtouch has printed `count` rate lines at or after index `from`.
HostResult<void> wait_for_rate_lines(GuestProgram& memtouch, size_t from, size_t count,
                                     std::chrono::milliseconds timeout) {
  while (rate_lines_from(memtouch.lines(), from) < count) {
    HOST_TRY(memtouch.wait_for_line(LogPattern::substring(kRateLine), timeout));
  }
  return {};
}

MigrateBenchRecord cell_record(const std::string& strategy, uint64_t size, const DirtyLevel& dirty,
                               double link) {
  MigrateBenchRecord r;
  r.strategy = strategy;
  r.size_bytes = size;
  r.dirty = dirty.name;
  r.dirty_rate = dirty.pages_per_s;
  r.link_mib_per_s = link;
  return r;
}

void take_record(MigrateBenchRecord& r, const MigrationRecord& record) {
  r.chosen = record.auto_reason.substr(0, record.auto_reason.find(':'));
  r.total_ms = static_cast<double>(record.total_ns) / 1e6;
  r.freeze_ms = static_cast<double>(record.freeze_ns) / 1e6;
  r.bytes_sent = record.bytes_sent;
  r.pages_sent = record.pages_sent;
  r.address_space_bytes = record.address_space_bytes;
  r.rounds = record.rounds;
  r.residual_ms = static_cast<double>(record.residual_ms);
  r.remote_faults = record.remote_faults;
  r.remote_fault_ms = static_cast<double>(record.remote_fault_ns) / 1e6;
  r.efficiency = migration_efficiency(record.address_space_bytes, r.total_ms, r.link_mib_per_s);
}

// Moves the running `memtouch` from node 0 to node 1 and measures it: its record, or a
// "not supported" row if the cluster refuses the strategy. memtouch keeps running.
HostResult<MigrateBenchRecord> measure_move(Cluster& cluster, GuestProgram& memtouch,
                                            MigrateBenchRecord r,
                                            std::chrono::milliseconds timeout) {
  HOST_TRY(memtouch.wait_for_line(LogPattern::substring("checksum"), timeout));  // all written
  HOST_TRY(wait_for_rate_lines(memtouch, 0, 1, timeout));  // a rate before the move
  const size_t asked_at = memtouch.lines().size();
  MigrationRecord record =
      HOST_TRY(migrate(*cluster.node(0).control(), memtouch.pid(), 1, r.strategy, timeout));
  if (!record.ok && record.error == "not_supported") {
    r.status = "not supported";
    r.reason = record.reason;
    return r;
  }
  if (!record.ok) {
    return fail(Error::kBusy,
                "the migration of '" + memtouch.command_line() + "' failed: " + record.reason);
  }
  memtouch.follow_to(*cluster.node(1).control());
  const size_t moved_at = memtouch.lines().size();
  // Each rate line follows a self-check: three from the destination prove it runs there.
  HOST_TRY(wait_for_rate_lines(memtouch, moved_at, 1 + kAfterLines, timeout));
  // The residual dependency as the source sees it now (lazy, postcopy: after 2 s of use).
  HostResult<MigrationRecord> later =
      migration_record(*cluster.node(0).control(), record.migration_id, timeout);
  take_record(r, later && later->ok ? *later : record);
  TouchRates rates = touch_rates(memtouch.lines(), asked_at, moved_at);
  r.touch_rate_before = rates.before;
  r.touch_rate_after = rates.after;
  r.slowdown = rates.before > 0 ? rates.after / rates.before : 0;
  return r;
}

// One migration of a fresh `memtouch SIZE RATE`, killed afterwards whatever happened (a
// failed cell must not leave it running under the next ones).
HostResult<MigrateBenchRecord> migrate_once(Cluster& cluster, const MigrateBenchRecord& cell,
                                            std::chrono::milliseconds timeout) {
  const std::string command =
      "memtouch " + size_text(cell.size_bytes) + " " + std::to_string(cell.dirty_rate);
  GuestProgram memtouch =
      HOST_TRY(GuestProgram::start(*cluster.node(0).control(), command, timeout));
  HostResult<MigrateBenchRecord> measured = measure_move(cluster, memtouch, cell, timeout);
  HostResult<ProgramExit> killed = memtouch.kill(timeout);
  if (!measured) return measured;
  if (memtouch.last_line_with("MISMATCH"))
    return fail(Error::kBadFormat, "memtouch found a changed page: " + memtouch.describe());
  if (!killed) return killed.failure();
  return measured;
}

// The matrix on a running cluster: strategy x dirty rate x size x repeat, less what
// matrix_skips says.
void run_matrix(Cluster& cluster, const MigrateBenchPlan& plan, MigrateBenchResult& result,
                std::chrono::milliseconds timeout) {
  for (const std::string& strategy : plan.strategies) {
    for (const DirtyLevel& dirty : plan.dirty) {
      for (uint64_t size : plan.sizes) {
        for (unsigned run = 0; run < plan.repeat; ++run) {
          if (matrix_skips(result.records, strategy, size)) break;
          MigrateBenchRecord cell = cell_record(strategy, size, dirty, result.link_mib_per_s);
          HostResult<MigrateBenchRecord> done = migrate_once(cluster, cell, timeout);
          if (!done) {
            cell.status = "failed";
            cell.reason = done.failure().message;
          }
          MigrateBenchRecord& row = done ? *done : cell;
          fprintf(stderr, "bench migrate: %s %s %s: %s\n", strategy.c_str(),
                  size_text(size).c_str(), dirty.name.c_str(),
                  row.status == "ok" ? (decimal_text(row.total_ms, 2) + " ms").c_str()
                                     : (row.status + ": " + row.reason).c_str());
          result.records.push_back(std::move(row));
        }
      }
    }
  }
}

}  // namespace

std::string size_text(uint64_t bytes) {
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes % (1 << 10) == 0) return std::to_string(bytes >> 10) + "K";
  return std::to_string(bytes);
}

const std::vector<DirtyLevel>& dirty_levels() {
  static const std::vector<DirtyLevel> levels = {{"idle", 1}, {"moderate", 256}, {"heavy", 4096}};
  return levels;
}

const std::vector<std::string>& all_strategies() {
  static const std::vector<std::string> names = {"eager", "precopy",     "lazy", "postcopy",
                                                 "flush", "eager-dirty", "auto"};
  return names;
}

const std::vector<uint64_t>& all_strategies_sizes() {
  static const std::vector<uint64_t> sizes = {1 << 20, 16 << 20, 64 << 20, 256 << 20};
  return sizes;
}

HostResult<std::vector<uint64_t>> parse_sizes(const std::string& text) {
  std::vector<uint64_t> sizes;
  for (std::string item : items_of(text)) {
    uint64_t unit = 1;
    if (!item.empty() && (item.back() == 'K' || item.back() == 'M')) {
      unit = item.back() == 'K' ? 1 << 10 : 1 << 20;
      item.pop_back();
    }
    uint64_t value = 0;
    auto [stop, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || stop != item.data() + item.size() || value == 0 ||
        value > kMaxSize / unit) {
      return fail(Error::kInvalidArgument,
                  "--sizes wants sizes like 100K,1M,64M (up to 256M), not '" + text + "'");
    }
    sizes.push_back(value * unit);
  }
  return sizes;
}

HostResult<std::vector<std::string>> parse_strategies(const std::string& text) {
  const std::vector<std::string>& known = all_strategies();
  if (text == "all") return known;
  std::vector<std::string> chosen;
  for (const std::string& item : items_of(text)) {
    if (std::find(known.begin(), known.end(), item) == known.end()) {
      return fail(Error::kInvalidArgument,
                  "--strategies: eager, precopy, lazy, postcopy, flush, eager-dirty, auto (or "
                  "all), not '" +
                      text + "'");
    }
    chosen.push_back(item);
  }
  return chosen;
}

HostResult<std::vector<DirtyLevel>> parse_dirty(const std::string& text) {
  std::vector<DirtyLevel> chosen;
  for (const std::string& item : items_of(text)) {
    auto named = std::find_if(dirty_levels().begin(), dirty_levels().end(),
                              [&](const DirtyLevel& level) { return level.name == item; });
    uint64_t rate = 0;
    auto [stop, ec] = std::from_chars(item.data(), item.data() + item.size(), rate);
    if (named != dirty_levels().end()) {
      chosen.push_back(*named);
    } else if (!item.empty() && ec == std::errc() && stop == item.data() + item.size() &&
               rate > 0 && rate <= 1'000'000) {
      chosen.push_back({item, rate});
    } else {
      return fail(Error::kInvalidArgument,
                  "--dirty wants idle (1 page/s), moderate (256), heavy (4096) or pages per "
                  "second (1 to 1000000), comma-separated, not '" +
                      text + "'");
    }
  }
  return chosen;
}

std::string bench_node_memory(const std::vector<uint64_t>& sizes) {
  constexpr uint64_t kDefault = 256 << 20, kSystem = 128 << 20, kStep = 64 << 20;
  uint64_t largest = sizes.empty() ? 0 : *std::max_element(sizes.begin(), sizes.end());
  uint64_t need = (2 * largest + kSystem + kStep - 1) / kStep * kStep;
  return std::to_string(std::max(need, kDefault) >> 20) + "M";
}

bool matrix_skips(const std::vector<MigrateBenchRecord>& done, const std::string& strategy,
                  uint64_t size) {
  return std::any_of(done.begin(), done.end(), [&](const MigrateBenchRecord& r) {
    return r.strategy == strategy &&
           (r.status == "not supported" || (r.status == "failed" && r.size_bytes == size));
  });
}

size_t rate_lines_from(const std::vector<std::string>& lines, size_t from) {
  size_t count = 0;
  for (size_t i = from; i < lines.size(); ++i) count += is_rate_line(lines[i]) ? 1 : 0;
  return count;
}

TouchRates touch_rates(const std::vector<std::string>& lines, size_t asked_at, size_t moved_at) {
  TouchRates rates;
  double touches = 0, ms = 0;
  for (size_t i = 0; i < std::min(asked_at, lines.size()); ++i) {
    if (is_rate_line(lines[i]) && rate_of(lines[i], touches, ms) && ms > 0)
      rates.before = touches * 1000.0 / ms;
  }
  double after_touches = 0, after_ms = 0;
  size_t seen = 0;  // rate lines from the destination; the first spans the move
  for (size_t i = moved_at; i < lines.size() && seen <= kAfterLines; ++i) {
    if (!is_rate_line(lines[i]) || !rate_of(lines[i], touches, ms)) continue;
    if (seen++ == 0) continue;
    after_touches += touches;
    after_ms += ms;
  }
  if (seen == 1 + kAfterLines && after_ms > 0) rates.after = after_touches * 1000.0 / after_ms;
  return rates;
}

double migration_efficiency(uint64_t address_space_bytes, double total_ms, double link_mib_per_s) {
  if (total_ms <= 0 || link_mib_per_s <= 0) return 0;
  return static_cast<double>(address_space_bytes) / (total_ms / 1000.0 * link_mib_per_s * kMiB);
}

bool plan_uses_store(const MigrateBenchPlan& plan) {
  return std::any_of(plan.strategies.begin(), plan.strategies.end(),
                     [](const std::string& s) { return s == "flush" || s == "eager-dirty"; });
}

uint64_t bench_store_pages(const std::vector<uint64_t>& sizes) {
  constexpr uint64_t kStoreDefaultPages = 16384, kPageBytes = 4096;
  uint64_t largest = sizes.empty() ? 0 : *std::max_element(sizes.begin(), sizes.end());
  uint64_t pages = largest / kPageBytes;
  return std::max(pages + pages / 8, kStoreDefaultPages);
}

HostResult<MigrateBenchResult> measure_migrations(ClusterConfig config,
                                                  const MigrateBenchPlan& plan,
                                                  std::chrono::milliseconds timeout) {
  config.nodes = 2;
  if (plan_uses_store(plan)) {
    config.nodes = 3;
    config.pagestore_node = 2;
    if (config.pagestore_pages == 0) config.pagestore_pages = bench_store_pages(plan.sizes);
  }
  return measure_on_cluster<MigrateBenchResult>(
      std::move(config), timeout, [&](Cluster& cluster) -> HostResult<MigrateBenchResult> {
        MigrateBenchResult result;
        result.revision = revision();
        std::vector<double> rates;  // the median of kLinkRuns, as bench net measures it
        for (unsigned run = 0; run < kLinkRuns; ++run) {
          TcpTransfer link = HOST_TRY(
              tcp_transfer(cluster, 0, 1, uint16_t(kLinkPort + run), plan.link_bytes, timeout));
          rates.push_back(HOST_TRY(link.sink.decimal_at("mib_per_s")));
        }
        result.link_mib_per_s = median(rates);
        run_matrix(cluster, plan, result, timeout);
        return result;
      });
}

}  // namespace atoll_os::host
