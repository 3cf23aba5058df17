// The `auto` strategy's cost model: predicts each strategy's times and traffic from measured
// inputs and picks the best on a stated objective (docs/strategies.md, "Choosing: auto").
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/migm.h"
#include "atoll/result.h"
#include "source.h"

namespace atoll_os::servers::migm {

/// What `auto` is asked to optimise.
enum class Objective : uint32_t {
  kShortestFreeze = 1,  // least time stopped
  kShortestTotal = 2,   // request until the last page is on the destination
  kLeastTraffic = 3,    // fewest bytes on the network (store transfers included)
  kNoResidual = 4,      // nothing left at the source after commit; then shortest total
};
const char* objective_name(Objective objective);
/// "freeze", "total", "traffic", "no-residual" -> Objective; false for another name.
bool parse_objective(const char* text, Objective& out);

/// What is measured before a migration (where each comes from: docs/strategies.md).
struct CostInputs {
  uint64_t link_bytes_per_s = 0;     // TCP throughput between source and destination
  uint64_t rtt_ns = 0;               // round trip between them
  uint64_t address_space_pages = 0;  // pages of the process's regions (mapped or not)
  uint64_t resident_pages = 0;       // pages present (what eager copies)
  uint64_t dirty_pages_per_s = 0;    // pages written per second (kernel dirty bits)
  bool store_available = false;      // a page store the cluster runs
  uint64_t store_put_bytes_per_s = 0;
  uint64_t store_get_bytes_per_s = 0;  // 0: as put
  uint64_t store_saved_pages = 0;  // resident pages already current in the store (before the save)
  Objective objective = Objective::kShortestFreeze;
  /// Strategies migm can run: bit (1 << value) of each Strategy; 0 means all six.
  uint32_t built = 0;
};

/// Constant costs of the implementation, fitted to the strategy matrix of docs/strategies.md
/// (TCG, 2026-11-26, after the net fixes that took the 85-170 ms and 1 s outliers out).
struct CostParams {
  uint64_t page_bytes = 4096;             // one page on the wire (P)
  uint64_t state_bytes = 16384;           // process and port slices, headers (S)
  uint64_t negotiate_ns = 2'000'000;      // proposal and answer, besides one RTT (N)
  uint64_t freeze_fixed_ns = 12'000'000;  // freeze, slice connections, process slice, commit (F)
  uint64_t map_fixed_ns = 4'000'000;      // a page map's extra: the holder, the lazy link (M)
  uint64_t map_ns_per_page = 450;         // building and installing the map, per resident page (m)
  uint64_t scan_ns_per_page = 80;         // one pass over the dirty bits, per resident page (s)
  uint64_t release_ns = 1'000'000;        // the source lets go (X)
  uint64_t round_fixed_ns = 20'000'000;   // a precopy round's turnaround: request, slice, ack (G)
  uint64_t fault_fixed_ns = 1'000'000;    // a remote fault's pager path, besides the RTT (Q)
  uint64_t fetch_batch_pages = 16;        // pages one fault or one push brings (b)
  uint64_t push_pause_ns = 1'000'000;     // postcopy: the pause between pushed batches (Z)
  PrecopyParams precopy;                  // the stop rule migm runs
};

/// "Never": a lazy process that touches no page keeps its source for ever.
inline constexpr uint64_t kNever = UINT64_MAX;

/// One strategy's predicted cost.
struct Prediction {
  protocols::migm::Strategy strategy;
  bool allowed;          // built, and fits the objective and the cluster (store)
  const char* excluded;  // why not allowed (static text), nullptr if allowed
  uint64_t total_ns;     // request until the last page is on the destination (kNever)
  uint64_t freeze_ns;    // stopped until running on the destination
  uint64_t bytes;        // on the network, store transfers included
  uint64_t residual_ns;  // the source serves pages after commit this long (kNever)
  bool residual;         // the source still holds pages after commit
  uint32_t rounds;       // precopy: live rounds
};

inline constexpr size_t kPredictedStrategies = 6;  // eager .. eager-dirty
inline constexpr size_t kReasonMax = 120;          // MigrationRecord::reason

/// The choice, every prediction it was made from, and why.
struct Choice {
  protocols::migm::Strategy strategy;
  Prediction predictions[kPredictedStrategies];  // in Strategy order, eager first
  char reason[kReasonMax];  // "precopy: freeze 12 ms vs eager 840 ms (64 MiB, dirty 30 p/s)"
};

/// One strategy's prediction (allowed is left true; choose() judges it).
Prediction predict(protocols::migm::Strategy strategy, const CostInputs& in,
                   const CostParams& params);

/// The best allowed strategy on `in.objective`. Ties (within 10% or 1 ms / 4 KiB of the
/// best) go to a strategy leaving no residual dependency, then to the secondary measure
/// (freeze -> total, total -> bytes, traffic -> total, no-residual -> freeze), then to the
/// lower Strategy value. kInvalidArgument for inputs
/// that cannot be judged (no link throughput, resident above the address space, ...), and
/// kNotSupported when no strategy is allowed; `why` names the problem.
Result<Choice> choose(const CostInputs& in, const CostParams& params, const char** why);

}  // namespace atoll_os::servers::migm
