// The cost model of `auto` (servers/migm/cost_model.h) read against measured migrations.
#include "hostlib/migrate_model_check.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "hostlib/bench_support.h"
#include "migm/cost_model.h"

namespace atoll_os::host {
namespace {

using servers::migm::Objective;
using Strategy = protocols::migm::Strategy;

constexpr double kWithin = 1.10;

// One strategy's medians in one cell.
struct Measured {
  double freeze_ms = 0;
  double total_ms = 0;  // to commit, plus the residual dependency (lazy, postcopy)
  uint64_t address_space_bytes = 0;
};

using Cell = std::map<std::string, Measured>;                 // strategy -> medians
using CellKey = std::tuple<uint64_t, std::string, uint64_t>;  // size, dirty name, rate
using CellRuns = std::map<std::string, std::vector<const MigrateBenchRecord*>>;

const std::string kAuto = "auto";

// The successful records by cell and strategy.
std::map<CellKey, CellRuns> runs_of(const MigrateBenchResult& result) {
  std::map<CellKey, CellRuns> runs;
  for (const MigrateBenchRecord& r : result.records) {
    if (r.status == "ok") runs[{r.size_bytes, r.dirty, r.dirty_rate}][r.strategy].push_back(&r);
  }
  return runs;
}

// The cells of the successful records.
std::map<CellKey, Cell> cells_of(const MigrateBenchResult& result) {
  const std::map<CellKey, CellRuns> runs = runs_of(result);
  std::map<CellKey, Cell> cells;
  for (const auto& [key, strategies] : runs) {
    for (const auto& [strategy, records] : strategies) {
      std::vector<double> freeze, total;
      uint64_t bytes = 0;
      for (const MigrateBenchRecord* r : records) {
        freeze.push_back(r->freeze_ms);
        total.push_back(r->total_ms + r->residual_ms);
        bytes = std::max(bytes, r->address_space_bytes);
      }
      cells[key][strategy] = {median(freeze), median(total), bytes};
    }
  }
  return cells;
}

double measure(const Measured& m, Objective objective) {
  return objective == Objective::kShortestFreeze ? m.freeze_ms : m.total_ms;
}

// The model's inputs for a cell: the bench's link, the measured size, memtouch's rate.
servers::migm::CostInputs inputs_for(const MigrateBenchResult& result, const Cell& cell,
                                     uint64_t size_bytes, uint64_t dirty_rate) {
  servers::migm::CostInputs in;
  in.link_bytes_per_s = static_cast<uint64_t>(result.link_mib_per_s * 1024 * 1024);
  in.rtt_ns = kModelRttNs;
  uint64_t bytes = size_bytes;
  for (const auto& [strategy, m] : cell) bytes = std::max(bytes, m.address_space_bytes);
  in.resident_pages = in.address_space_pages = (bytes + 4095) / 4096;
  in.dirty_pages_per_s = dirty_rate;
  for (const auto& [strategy, m] : cell) {
    Strategy s{};
    if (protocols::migm::parse_strategy(strategy.c_str(), s))
      in.built |= 1u << static_cast<uint32_t>(s);
  }
  return in;
}

// The row of one cell and objective; false when the model or the cell has no answer.
bool check_cell(const MigrateBenchResult& result, const Cell& cell, uint64_t size_bytes,
                const std::string& dirty, uint64_t dirty_rate, Objective objective,
                ModelCheck& row) {
  servers::migm::CostInputs in = inputs_for(result, cell, size_bytes, dirty_rate);
  in.objective = objective;
  const char* why = nullptr;
  Result<servers::migm::Choice> choice = servers::migm::choose(in, {}, &why);
  if (!choice.ok()) return false;
  row = {};
  row.size_bytes = size_bytes;
  row.dirty = dirty;
  row.objective = servers::migm::objective_name(objective);
  row.chosen = protocols::migm::strategy_name(choice->strategy);
  row.reason = choice->reason;
  auto chosen = cell.find(row.chosen);
  if (chosen == cell.end()) return false;
  row.chosen_ms = measure(chosen->second, objective);
  for (const auto& [strategy, m] : cell) {
    Strategy s{};
    bool allowed = protocols::migm::parse_strategy(strategy.c_str(), s) && s != Strategy::kAuto &&
                   !(objective == Objective::kNoResidual && protocols::migm::leaves_residual(s));
    if (allowed && (row.best.empty() || measure(m, objective) < row.best_ms)) {
      row.best = strategy;
      row.best_ms = measure(m, objective);
    }
  }
  row.within = row.chosen_ms <= kWithin * row.best_ms;
  return true;
}

// Each run's choice once, in the order first made: "precopy" or "precopy/postcopy".
std::string choices_of(const std::vector<const MigrateBenchRecord*>& runs) {
  std::vector<std::string> seen;
  for (const MigrateBenchRecord* r : runs) {
    if (std::find(seen.begin(), seen.end(), r->chosen) == seen.end()) seen.push_back(r->chosen);
  }
  std::string text;
  for (const std::string& name : seen) text += (text.empty() ? "" : "/") + name;
  return text;
}

std::string size_column(uint64_t bytes) {
  return std::to_string(bytes >> 20) + "M";
}

std::string auto_table(const std::vector<AutoCheck>& rows) {
  std::string text =
      "### auto as it ran\n\n"
      "auto (objective freeze) in each cell: what it chose, its median freeze, and the best "
      "median freeze of the fixed strategies measured in the same cell.\n\n"
      "| size | dirty | auto chose | auto freeze ms | best fixed | best freeze ms | within 10% "
      "|\n| --- | --- | --- | --- | --- | --- | --- |\n";
  size_t within = 0;
  for (const AutoCheck& r : rows) {
    within += r.within ? 1 : 0;
    text += "| " + size_column(r.size_bytes) + " | " + r.dirty + " | " + r.chosen + " | " +
            decimal_text(r.auto_ms, 1) + " | " + r.best + " | " + decimal_text(r.best_ms, 1) +
            " | " + (r.within ? "yes" : "no") + " |\n";
  }
  return text + "\n" + std::to_string(within) + " of " + std::to_string(rows.size()) +
         " cells within 10% of the best fixed strategy.\n\n";
}

}  // namespace

std::vector<AutoCheck> check_auto(const MigrateBenchResult& result) {
  std::vector<AutoCheck> rows;
  const std::map<CellKey, CellRuns> runs = runs_of(result);
  for (const auto& [key, cell] : cells_of(result)) {
    auto automatic = cell.find(kAuto);
    if (automatic == cell.end()) continue;
    AutoCheck row;
    row.size_bytes = std::get<0>(key);
    row.dirty = std::get<1>(key);
    row.chosen = choices_of(runs.at(key).at(kAuto));
    row.auto_ms = automatic->second.freeze_ms;
    for (const auto& [strategy, m] : cell) {
      if (strategy == kAuto || (!row.best.empty() && m.freeze_ms >= row.best_ms)) continue;
      row.best = strategy;
      row.best_ms = m.freeze_ms;
    }
    if (row.best.empty()) continue;
    row.within = row.auto_ms <= kWithin * row.best_ms;
    rows.push_back(row);
  }
  return rows;
}

std::vector<ModelCheck> check_model(const MigrateBenchResult& result) {
  std::vector<ModelCheck> rows;
  for (const auto& [key, cell] : cells_of(result)) {
    if (cell.size() - cell.count(kAuto) < 2) continue;
    const auto& [size, dirty, rate] = key;
    for (Objective o :
         {Objective::kShortestFreeze, Objective::kShortestTotal, Objective::kNoResidual}) {
      ModelCheck row;
      if (check_cell(result, cell, size, dirty, rate, o, row)) rows.push_back(row);
    }
  }
  return rows;
}

std::string migrate_model_check(const MigrateBenchResult& result) {
  std::vector<AutoCheck> ran = check_auto(result);
  std::vector<ModelCheck> rows = check_model(result);
  if (rows.empty() && ran.empty()) return "";
  std::string text = ran.empty() ? "" : auto_table(ran);
  if (rows.empty()) return text;
  text +=
      "### auto's cost model on these cells\n\n"
      "What `auto` would choose among the strategies measured in each cell (the model fed "
      "this link, the measured size, memtouch's rate and a round trip of 250 us), its "
      "measured cost and the best measured (total: to commit plus the residual "
      "dependency).\n\n"
      "| size | dirty | objective | model picks | its ms | best measured | best ms | within "
      "10% |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  size_t within = 0;
  for (const ModelCheck& r : rows) {
    within += r.within ? 1 : 0;
    text += "| " + size_column(r.size_bytes) + " | " + r.dirty + " | " + r.objective + " | " +
            r.chosen + " | " + decimal_text(r.chosen_ms, 1) + " | " + r.best + " | " +
            decimal_text(r.best_ms, 1) + " | " + (r.within ? "yes" : "no") + " |\n";
  }
  text += "\n" + std::to_string(within) + " of " + std::to_string(rows.size()) +
          " within 10% of the best measured.\n";
  return text;
}

}  // namespace atoll_os::host
