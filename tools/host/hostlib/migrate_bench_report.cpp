// bench migrate's reports: results.json, summary.md (one table per dirty rate, then auto's
// cost model against the cells) and the gnuplot plots of each measure against size.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

#include "hostlib/bench_support.h"
#include "hostlib/migrate_bench.h"
#include "hostlib/migrate_model_check.h"

namespace atoll_os::host {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

}  // namespace

std::string migrate_bench_json(const MigrateBenchResult& result) {
  std::string json = "{\n  \"accel\": " + json_string(result.accel) +
                     ",\n  \"revision\": " + json_string(result.revision) +
                     ",\n  \"link_mib_per_s\": " + decimal_text(result.link_mib_per_s, 2) +
                     ",\n  \"records\": [";
  for (size_t i = 0; i < result.records.size(); ++i) {
    const MigrateBenchRecord& r = result.records[i];
    json += std::string(i == 0 ? "\n" : ",\n") + "    {\"strategy\": " + json_string(r.strategy) +
            ", \"chosen\": " + json_string(r.chosen) + ", \"status\": " + json_string(r.status) +
            ", \"reason\": " + json_string(r.reason) +
            ", \"size_bytes\": " + std::to_string(r.size_bytes) +
            ", \"dirty\": " + json_string(r.dirty) +
            ", \"dirty_rate\": " + std::to_string(r.dirty_rate) +
            ", \"total_ms\": " + decimal_text(r.total_ms, 3) +
            ", \"freeze_ms\": " + decimal_text(r.freeze_ms, 3) +
            ", \"bytes_sent\": " + std::to_string(r.bytes_sent) +
            ", \"pages_sent\": " + std::to_string(r.pages_sent) +
            ", \"address_space_bytes\": " + std::to_string(r.address_space_bytes) +
            ", \"rounds\": " + std::to_string(r.rounds) +
            ", \"residual_ms\": " + decimal_text(r.residual_ms, 3) +
            ", \"remote_faults\": " + std::to_string(r.remote_faults) +
            ", \"remote_fault_ms\": " + decimal_text(r.remote_fault_ms, 3) +
            ", \"link_mib_per_s\": " + decimal_text(r.link_mib_per_s, 2) +
            ", \"efficiency\": " + decimal_text(r.efficiency, 3) +
            ", \"touch_rate_before\": " + decimal_text(r.touch_rate_before, 1) +
            ", \"touch_rate_after\": " + decimal_text(r.touch_rate_after, 1) +
            ", \"slowdown\": " + decimal_text(r.slowdown, 3) +
            ", \"accel\": " + json_string(result.accel) +
            ", \"revision\": " + json_string(result.revision) + "}";
  }
  json += "\n  ]\n}\n";
  return json;
}

namespace {

// The dirty rates of `result` in the order first met.
std::vector<std::pair<std::string, uint64_t>> dirty_of(const MigrateBenchResult& result) {
  std::vector<std::pair<std::string, uint64_t>> seen;
  for (const MigrateBenchRecord& r : result.records) {
    if (r.status != "ok") continue;
    std::pair<std::string, uint64_t> level{r.dirty, r.dirty_rate};
    if (std::find(seen.begin(), seen.end(), level) == seen.end()) seen.push_back(level);
  }
  return seen;
}

std::string summary_row(const MigrateBenchRecord& r) {
  return "| " + r.strategy + " | " + size_text(r.size_bytes) + " | " + decimal_text(r.total_ms, 2) +
         " | " + decimal_text(r.freeze_ms, 2) + " | " + std::to_string(r.bytes_sent) + " | " +
         std::to_string(r.pages_sent) + " | " + std::to_string(r.rounds) + " | " +
         decimal_text(r.residual_ms, 0) + " | " + std::to_string(r.remote_faults) + " | " +
         decimal_text(r.efficiency, 3) + " | " +
         (r.slowdown > 0 ? decimal_text(r.slowdown, 2) : std::string("—")) + " |\n";
}

// The value of `measure` in a record: "total", "freeze", "bytes" or "slowdown".
double measure_of(const MigrateBenchRecord& r, const std::string& measure) {
  if (measure == "freeze") return r.freeze_ms;
  if (measure == "bytes") return static_cast<double>(r.bytes_sent);
  if (measure == "slowdown") return r.slowdown;
  return r.total_ms;
}

struct Plot {
  const char* measure;
  const char* file;  // without extension
  const char* title;
  const char* ylabel;
  bool log_y;
};

constexpr Plot kPlots[] = {
    {"total", "migration", "Total migration time against process size", "total time (ms)", true},
    {"freeze", "migration_freeze", "Freeze time against process size", "freeze time (ms)", true},
    {"bytes", "migration_bytes", "Bytes moved against process size", "bytes sent", true},
    {"slowdown", "migration_slowdown",
     "Post-migration touch rate / before (memtouch, 2 s after the move)", "slowdown (after/before)",
     false},
};

// One colour per strategy, one dash and point type per dirty rate, for a series titled
// "STRATEGY DIRTY".
std::string line_style(const std::string& title) {
  const std::string strategy = title.substr(0, title.find(' '));
  const std::string dirty = title.substr(std::min(title.find(' ') + 1, title.size()));
  const std::vector<std::string>& strategies = all_strategies();
  size_t colour = std::find(strategies.begin(), strategies.end(), strategy) - strategies.begin();
  size_t level = dirty_levels().size();  // a numeric rate: the style after the named ones
  for (size_t i = 0; i < dirty_levels().size(); ++i) {
    if (dirty_levels()[i].name == dirty) level = i;
  }
  constexpr int kPointTypes[] = {7, 5, 9, 11};
  return "lc " + std::to_string(colour + 1) + " dt " + std::to_string(level + 1) + " pt " +
         std::to_string(kPointTypes[std::min(level, size_t{3})]) + " lw 1.5";
}

// Writes PLOT's .dat and .gp into `dir` and runs gnuplot; false if it has no data.
HostResult<bool> draw(const MigrateBenchResult& result, const Plot& plot,
                      const std::filesystem::path& dir) {
  std::vector<std::string> titles;
  const std::string data = migrate_bench_series(result, plot.measure, titles);
  if (titles.empty()) return false;
  const std::string name = plot.file;
  std::ofstream(dir / (name + ".dat")) << data;
  std::string lines;
  for (size_t i = 0; i < titles.size(); ++i) {
    lines += std::string(lines.empty() ? "plot " : ", ") + "'" + name + ".dat' index " +
             std::to_string(i) + " using 1:2 with linespoints " + line_style(titles[i]) +
             " title '" + titles[i] + "'";
  }
  std::ofstream(dir / (name + ".gp"))
      << "set terminal svg size 900,560\nset output '" << name << ".svg'\n"
      << "set title '" << plot.title << " (" << result.accel << ", link "
      << decimal_text(result.link_mib_per_s, 1) << " MiB/s)'\n"
      << "set xlabel 'resident size (MiB)'\nset ylabel '" << plot.ylabel << "'\n"
      << (plot.log_y ? "set logscale xy\n" : "set logscale x\n")
      << "set key outside right top Left reverse samplen 3\nset grid\n"
      << lines << "\n";
  const std::string command = "cd '" + dir.string() + "' && gnuplot " + name + ".gp 2>&1";
  if (system(command.c_str()) != 0) {
    return fail(Error::kNotFound, "gnuplot failed to draw " + (dir / (name + ".svg")).string() +
                                      " (tools/atoll setup installs gnuplot-nox)");
  }
  return true;
}

}  // namespace

std::string migrate_bench_summary(const MigrateBenchResult& result) {
  std::string text = "Migrations node 0 -> node 1 (" + result.accel + ", revision " +
                     result.revision + "), link " + decimal_text(result.link_mib_per_s, 2) +
                     " MiB/s (TCP, 64 MiB, median of 3)\n";
  for (const auto& [dirty, rate] : dirty_of(result)) {
    text += "\n### dirty " + dirty + ": memtouch writes " + std::to_string(rate) +
            " pages/s\n\n"
            "| strategy | size | total ms | freeze ms | bytes sent | pages | rounds | residual ms "
            "| remote faults | efficiency | slowdown |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    for (const MigrateBenchRecord& r : result.records) {
      if (r.status == "ok" && r.dirty == dirty) text += summary_row(r);
    }
  }
  std::string skipped;
  for (const MigrateBenchRecord& r : result.records) {
    if (r.status == "ok") continue;
    skipped += "- " + r.strategy + " (" + size_text(r.size_bytes) + ", " + r.dirty +
               "): " + r.status + ": " + r.reason + "\n";
  }
  if (!skipped.empty())
    text +=
        "\nNot measured (a refused strategy is skipped everywhere, a failed cell at its "
        "size):\n\n" +
        skipped;
  return text;
}

std::string migrate_bench_series(const MigrateBenchResult& result, const std::string& measure,
                                 std::vector<std::string>& titles) {
  // (strategy, dirty) -> size -> values of the repeats, in the order first met
  std::vector<std::pair<std::string, std::map<uint64_t, std::vector<double>>>> series;
  for (const MigrateBenchRecord& r : result.records) {
    double value = measure_of(r, measure);
    if (r.status != "ok" || value <= 0) continue;  // nothing to plot (log scales)
    const std::string title = r.strategy + " " + r.dirty;
    auto it = std::find_if(series.begin(), series.end(),
                           [&](const auto& entry) { return entry.first == title; });
    if (it == series.end()) it = series.insert(series.end(), {title, {}});
    it->second[r.size_bytes].push_back(value);
  }
  std::string data;
  for (const auto& [title, points] : series) {
    titles.push_back(title);
    data += "# " + title + "\n";
    for (const auto& [size, values] : points) {
      data += decimal_text(static_cast<double>(size) / kMiB, 4) + " " +
              decimal_text(median(values), 3) + "\n";
    }
    data += "\n\n";
  }
  return data;
}

HostResult<std::filesystem::path> write_migrate_bench(const MigrateBenchResult& result,
                                                      const std::filesystem::path& dir) {
  std::filesystem::path json = HOST_TRY(write_results_json(migrate_bench_json(result), dir));
  std::ofstream(dir / "summary.md") << migrate_bench_summary(result) << "\n"
                                    << migrate_model_check(result);
  for (const Plot& plot : kPlots) HOST_TRY(draw(result, plot, dir));
  return json;
}

}  // namespace atoll_os::host
