// The `auto` cost model against a measured strategy matrix: in each cell (size, dirty rate),
// what the model would choose among the strategies measured there, and how far that
// strategy's measured cost is from the best measured one (the target: within 10%).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hostlib/migrate_bench.h"

namespace atoll_os::host {

/// The round trip the model is fed: bench migrate does not measure it; `bench net` finds
/// 240-270 us between two TCG nodes (docs/benchmarks.md).
inline constexpr uint64_t kModelRttNs = 250'000;

/// One cell and objective.
struct ModelCheck {
  uint64_t size_bytes = 0;
  std::string dirty;
  std::string objective;  // "freeze", "total" or "no-residual"
  std::string chosen;     // what the model picks
  double chosen_ms = 0;   // its measured median (total: to commit plus the residual)
  std::string best;       // the best measured among those the objective allows
  double best_ms = 0;
  bool within = false;  // chosen_ms <= 1.1 * best_ms
  std::string reason;   // the model's
};

/// One cell where `auto` ran (objective freeze, the bench's default): what it chose, its
/// median freeze, and the best median freeze of the fixed strategies measured there.
struct AutoCheck {
  uint64_t size_bytes = 0;
  std::string dirty;
  std::string chosen;  // what auto ran, each run's choice once ("precopy/postcopy")
  double auto_ms = 0;
  std::string best;
  double best_ms = 0;
  bool within = false;  // auto_ms <= 1.1 * best_ms: the target
};

/// Every cell where auto and at least one fixed strategy succeeded.
std::vector<AutoCheck> check_auto(const MigrateBenchResult& result);

/// Every cell with at least two fixed strategies measured, for freeze, total and no-residual (the
/// last only where eager or precopy was measured). Traffic is left out: bytes_sent of lazy
/// and postcopy counts only the page map.
std::vector<ModelCheck> check_model(const MigrateBenchResult& result);

/// Markdown: a table of check_auto's rows, then one of check_model's, each with how many
/// are within 10%.
std::string migrate_model_check(const MigrateBenchResult& result);

}  // namespace atoll_os::host
