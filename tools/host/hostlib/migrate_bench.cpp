// The migration benchmark: the matrix, its records, and the files it writes.
#include "hostlib/migrate_bench.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

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

std::string size_text(uint64_t bytes) {
  if (bytes % (1 << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes % (1 << 10) == 0) return std::to_string(bytes >> 10) + "K";
  return std::to_string(bytes);
}

// One migration of a fresh `memtouch SIZE RATE` from node 0 to node 1.
HostResult<MigrateBenchRecord> migrate_once(Cluster& cluster, const std::string& strategy,
                                            uint64_t size, const MigrateBenchPlan& plan,
                                            double link, std::chrono::milliseconds timeout) {
  const std::string command = "memtouch " + size_text(size) + " " + std::to_string(plan.dirty_rate);
  GuestProgram memtouch =
      HOST_TRY(GuestProgram::start(*cluster.node(0).control(), command, timeout));
  HOST_TRY(memtouch.wait_for_line(LogPattern::substring("checksum"), timeout));  // all written
  HostResult<MigrationRecord> record =
      migrate(*cluster.node(0).control(), memtouch.pid(), 1, strategy, timeout);
  if (!record || !record->ok) {
    (void)memtouch.kill(timeout);
    if (!record) return record.failure();
    return fail(Error::kBusy, "the migration of '" + command + "' failed: " + record->reason);
  }
  memtouch.follow_to(*cluster.node(1).control());
  HOST_TRY(memtouch.wait_for_line(LogPattern::substring("checksum"), timeout));  // runs there
  bool intact = !memtouch.last_line_with("MISMATCH");
  HOST_TRY(memtouch.kill(timeout));
  if (!intact)
    return fail(Error::kBadFormat, "memtouch found a changed page: " + memtouch.describe());
  MigrateBenchRecord r;
  r.strategy = strategy;
  r.size_bytes = size;
  r.dirty_rate = plan.dirty_rate;
  r.total_ms = static_cast<double>(record->total_ns) / 1e6;
  r.freeze_ms = static_cast<double>(record->freeze_ns) / 1e6;
  r.bytes_sent = record->bytes_sent;
  r.pages_sent = record->pages_sent;
  r.link_mib_per_s = link;
  r.efficiency = migration_efficiency(record->address_space_bytes, r.total_ms, link);
  return r;
}

}  // namespace

HostResult<std::vector<uint64_t>> parse_sizes(const std::string& text) {
  std::vector<uint64_t> sizes;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, end - start);
    uint64_t unit = 1;
    if (!item.empty() && (item.back() == 'K' || item.back() == 'M')) {
      unit = item.back() == 'K' ? 1 << 10 : 1 << 20;
      item.pop_back();
    }
    uint64_t value = 0;
    auto [stop, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || stop != item.data() + item.size() || value == 0 ||
        value * unit > (uint64_t{128} << 20)) {
      return fail(Error::kInvalidArgument,
                  "--sizes wants sizes like 100K,1M,64M (up to 128M), not '" + text + "'");
    }
    sizes.push_back(value * unit);
    start = end + 1;
  }
  return sizes;
}

HostResult<std::vector<std::string>> parse_strategies(const std::string& text) {
  if (text == "all" || text == "eager") return std::vector<std::string>{"eager"};
  return fail(Error::kInvalidArgument,
              "--strategies: the strategies built are: eager (or all), not '" + text + "'");
}

double migration_efficiency(uint64_t address_space_bytes, double total_ms, double link_mib_per_s) {
  if (total_ms <= 0 || link_mib_per_s <= 0) return 0;
  return static_cast<double>(address_space_bytes) / (total_ms / 1000.0 * link_mib_per_s * kMiB);
}

HostResult<MigrateBenchResult> measure_migrations(ClusterConfig config,
                                                  const MigrateBenchPlan& plan,
                                                  std::chrono::milliseconds timeout) {
  config.nodes = 2;
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
        for (const std::string& strategy : plan.strategies) {
          for (uint64_t size : plan.sizes) {
            for (unsigned run = 0; run < plan.repeat; ++run) {
              result.records.push_back(HOST_TRY(
                  migrate_once(cluster, strategy, size, plan, result.link_mib_per_s, timeout)));
            }
          }
        }
        return result;
      });
}

std::string migrate_bench_json(const MigrateBenchResult& result) {
  std::string json = "{\n  \"accel\": " + json_string(result.accel) +
                     ",\n  \"revision\": " + json_string(result.revision) +
                     ",\n  \"link_mib_per_s\": " + decimal_text(result.link_mib_per_s, 2) +
                     ",\n  \"records\": [";
  for (size_t i = 0; i < result.records.size(); ++i) {
    const MigrateBenchRecord& r = result.records[i];
    json += std::string(i == 0 ? "\n" : ",\n") + "    {\"strategy\": " + json_string(r.strategy) +
            ", \"size_bytes\": " + std::to_string(r.size_bytes) +
            ", \"dirty_rate\": " + std::to_string(r.dirty_rate) +
            ", \"total_ms\": " + decimal_text(r.total_ms, 3) +
            ", \"freeze_ms\": " + decimal_text(r.freeze_ms, 3) +
            ", \"bytes_sent\": " + std::to_string(r.bytes_sent) +
            ", \"pages_sent\": " + std::to_string(r.pages_sent) +
            ", \"residual_ms\": " + decimal_text(r.residual_ms, 3) +
            ", \"remote_faults\": " + std::to_string(r.remote_faults) +
            ", \"link_mib_per_s\": " + decimal_text(r.link_mib_per_s, 2) +
            ", \"efficiency\": " + decimal_text(r.efficiency, 3) +
            ", \"accel\": " + json_string(result.accel) +
            ", \"revision\": " + json_string(result.revision) + "}";
  }
  json += "\n  ]\n}\n";
  return json;
}

std::string migrate_bench_summary(const MigrateBenchResult& result) {
  std::string text =
      "Migrations node 0 -> node 1 (" + result.accel + ", revision " + result.revision +
      "), link " + decimal_text(result.link_mib_per_s, 2) +
      " MiB/s (TCP, 64 MiB, median of 3)\n\n"
      "| strategy | size | total ms | freeze ms | bytes sent | pages | efficiency |\n"
      "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const MigrateBenchRecord& r : result.records) {
    text += "| " + r.strategy + " | " + size_text(r.size_bytes) + " | " +
            decimal_text(r.total_ms, 2) + " | " + decimal_text(r.freeze_ms, 2) + " | " +
            std::to_string(r.bytes_sent) + " | " + std::to_string(r.pages_sent) + " | " +
            decimal_text(r.efficiency, 3) + " |\n";
  }
  return text;
}

HostResult<std::filesystem::path> write_migrate_bench(const MigrateBenchResult& result,
                                                      const std::filesystem::path& dir) {
  std::filesystem::path json = HOST_TRY(write_results_json(migrate_bench_json(result), dir));
  std::ofstream(dir / "summary.md") << migrate_bench_summary(result);
  std::map<std::string, std::string> series;  // strategy -> "size_mib total_ms" lines
  for (const MigrateBenchRecord& r : result.records) {
    series[r.strategy] += decimal_text(static_cast<double>(r.size_bytes) / kMiB, 4) + " " +
                          decimal_text(r.total_ms, 3) + "\n";
  }
  std::ofstream data(dir / "migration.dat");
  std::string plot;
  size_t index = 0;
  for (const auto& [strategy, lines] : series) {
    data << "# " << strategy << "\n" << lines << "\n\n";
    plot += std::string(plot.empty() ? "plot " : ", ") + "'migration.dat' index " +
            std::to_string(index++) + " using 1:2 with linespoints title '" + strategy + "'";
  }
  data.close();
  std::ofstream(dir / "migration.gp")
      << "set terminal svg size 800,500\nset output 'migration.svg'\n"
      << "set title 'Migration time against process size (" << result.accel << ")'\n"
      << "set xlabel 'resident size (MiB)'\nset ylabel 'total time (ms)'\n"
      << "set logscale xy\nset key top left\nset grid\n"
      << plot << "\n";
  const std::string command = "cd '" + dir.string() + "' && gnuplot migration.gp 2>&1";
  if (system(command.c_str()) != 0) {
    return fail(Error::kNotFound, "gnuplot failed to draw " + (dir / "migration.svg").string() +
                                      " (tools/atoll setup installs gnuplot-nox)");
  }
  return json;
}

}  // namespace atoll_os::host
