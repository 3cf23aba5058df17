// The plans (eager, precopy, lazy, postcopy, flush, eager-dirty), step by step, with the undo of
// every step before commit, and pre-copy's stop rule.
#include "source.h"

namespace atoll_os::servers::migm {
namespace {

void copy_text(char* out, size_t capacity, const char* a, const char* b) {
  size_t n = 0;
  for (const char* part : {a, b}) {
    for (; part != nullptr && *part != '\0' && n + 1 < capacity; ++part) out[n++] = *part;
  }
  out[n] = '\0';
}

class EagerRun {
 public:
  EagerRun(MigrationSteps& steps, MigrationRecord& record, const PrecopyParams& precopy = {})
      : steps_(steps), record_(record), precopy_(precopy) {}

  void run(const CpuFeatures& features) {
    const uint64_t start = steps_.now_ns();
    run_steps(features);
    record_.total_ns = steps_.now_ns() - start;
  }

 private:
  // Times `step`; on failure records "phase: reason" and returns false.
  template <typename Step>
  bool timed(SourcePhase phase, uint64_t& elapsed, Step&& step) {
    phase_ = phase;
    const uint64_t start = steps_.now_ns();
    Result<void> done = step();
    elapsed = steps_.now_ns() - start;
    if (done.ok()) return true;
    fail(done.error(), steps_.reason());
    return false;
  }

  void fail(Error error, const char* why) {
    record_.error = static_cast<int32_t>(error);
    char prefix[24];
    copy_text(prefix, sizeof(prefix), phase_name(phase_), ": ");
    copy_text(record_.reason, sizeof(record_.reason), prefix, why);
  }

  // Before commit: the process runs on here, the destination forgets it.
  void undo(bool frozen) {
    if (frozen) (void)steps_.thaw(record_.pid);
    if (protocols::migm::leaves_residual(record_.strategy) && residual_kept_) {
      steps_.drop_residual(record_.migration_id);
    }
    if (store_used_) (void)pages(protocols::mm::SendMode::kStoreDrop);
    steps_.abort(record_.to_node, record_.pid, record_.migration_id);
  }

  Result<void> add_cost(Result<SliceCost> cost) {
    if (!cost.ok()) return Err(cost.error());
    record_.bytes_sent += cost->bytes;
    record_.pages_sent += cost->pages;
    return success();
  }

  void run_steps(const CpuFeatures& features) {
    uint64_t unused = 0;
    Proposal proposal{protocols::migm::kMigrationVersion,
                      kIsaX86_64,
                      record_.strategy,
                      record_.migration_id,
                      {},
                      features};
    if (!timed(SourcePhase::kDescribe, unused, [&]() -> Result<void> {
          proposal.process = TRY(steps_.describe(record_.pid));
          return success();
        })) {
      return;
    }
    record_.address_space_bytes = proposal.process.resident_pages * 4096;
    if (!timed(SourcePhase::kPropose, record_.negotiate_ns,
               [&] { return steps_.propose(record_.to_node, proposal); })) {
      return;  // refused: nothing was prepared there
    }
    if (record_.strategy == Strategy::kPrecopy && !precopy_rounds()) return undo(false);
    if (record_.strategy == Strategy::kEagerDirty && !store_save()) return undo(false);
    const uint64_t frozen_at = steps_.now_ns();
    if (!timed(SourcePhase::kFreeze, record_.freeze_step_ns,
               [&] { return steps_.freeze(record_.pid); })) {
      return undo(false);
    }
    if (!timed(SourcePhase::kSendMemory, record_.memory_ns,
               [&] { return add_cost(send_memory_frozen()); }) ||
        !timed(SourcePhase::kSendPorts, record_.ports_ns,
               [&] {
                 return add_cost(
                     steps_.send_ports(record_.pid, record_.migration_id, record_.to_node));
               }) ||
        !timed(SourcePhase::kSendProcess, record_.process_ns, [&] {
          return add_cost(steps_.send_process(record_.pid, record_.migration_id, record_.to_node));
        })) {
      return undo(true);
    }
    if (!commit()) return;
    record_.freeze_ns = steps_.now_ns() - frozen_at;
    // flush, eager-dirty: the source owes nothing (the destination depends on the store).
    if (store_used_) record_.residual_done = 1;
    record_.error = static_cast<int32_t>(Error::kOk);
    record_.reason[0] = '\0';
    timed(SourcePhase::kRelease, record_.release_ns, [&] { return steps_.release(record_.pid); });
    phase_ = SourcePhase::kDone;
  }

  // The memory slice of the plan, the process frozen.
  Result<SliceCost> send_memory_frozen() {
    using protocols::mm::SendMode;
    switch (record_.strategy) {
      case Strategy::kPrecopy: return pages(SendMode::kPrecopyDirty);
      case Strategy::kFlush: store_used_ = true; return pages(SendMode::kFlush);
      case Strategy::kEagerDirty: return pages(SendMode::kEagerDirty);
      case Strategy::kLazy:
      case Strategy::kPostcopy: {
        residual_kept_ = true;  // a failure may come after mm kept the pages
        return pages(record_.strategy == Strategy::kLazy ? SendMode::kLazy : SendMode::kPostcopy);
      }
      default: return steps_.send_memory(record_.pid, record_.migration_id, record_.to_node);
    }
  }

  Result<SliceCost> pages(protocols::mm::SendMode mode) {
    return steps_.send_pages(record_.pid, record_.migration_id, record_.to_node, mode);
  }

  // eager-dirty's live save of every resident page to the store, counted as a live round;
  // false (recorded) on failure.
  bool store_save() {
    store_used_ = true;  // a refused put stores nothing, but the process may have pages there
    uint64_t elapsed = 0;
    if (!timed(SourcePhase::kStoreSave, elapsed,
               [&] { return add_cost(pages(protocols::mm::SendMode::kStoreSave)); })) {
      return false;
    }
    record_.precopy_ns += elapsed;
    ++record_.rounds;
    return true;
  }

  // Pre-copy's live rounds, until the stop rule says freeze; false (recorded) on failure.
  bool precopy_rounds() {
    uint64_t previous = UINT64_MAX;
    for (;;) {
      const bool first = record_.rounds == 0;
      uint64_t elapsed = 0;
      uint64_t sent = 0;
      if (!timed(SourcePhase::kPrecopy, elapsed, [&]() -> Result<void> {
            using protocols::mm::SendMode;
            SliceCost cost = TRY(pages(first ? SendMode::kPrecopyFirst : SendMode::kPrecopyDirty));
            sent = cost.pages;
            return add_cost(cost);
          })) {
        return false;
      }
      record_.precopy_ns += elapsed;
      ++record_.rounds;
      if (precopy_next(precopy_, static_cast<uint32_t>(record_.rounds), sent, previous) !=
          PrecopyDecision::kAnotherRound) {
        return true;
      }
      previous = sent;
    }
  }

  // The commit point. An unanswered commit is asked again: the destination may have started
  // the process, so thawing it here could run it twice. A destination that is gone took
  // the process with it: thawing is then the only way to keep it.
  bool commit() {
    constexpr int kAttempts = 3;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      if (timed(SourcePhase::kCommit, record_.commit_ns, [&] {
            return steps_.commit(record_.to_node, record_.pid, record_.migration_id);
          })) {
        return true;
      }
      if (record_.error != static_cast<int32_t>(Error::kTimedOut)) break;
    }
    if (record_.error == static_cast<int32_t>(Error::kTimedOut)) {
      // Unknown outcome: the process stays frozen here rather than risk running twice.
      fail(Error::kTimedOut, "no answer from the destination: the process stays frozen here");
      return false;
    }
    undo(true);
    return false;
  }

  MigrationSteps& steps_;
  MigrationRecord& record_;
  PrecopyParams precopy_;
  bool residual_kept_ = false;
  bool store_used_ = false;  // flush, eager-dirty: the store may hold pages of it
  SourcePhase phase_ = SourcePhase::kDescribe;
};

}  // namespace

const char* phase_name(SourcePhase phase) {
  switch (phase) {
    case SourcePhase::kDescribe: return "describe";
    case SourcePhase::kPropose: return "negotiate";
    case SourcePhase::kFreeze: return "freeze";
    case SourcePhase::kPrecopy: return "precopy";
    case SourcePhase::kStoreSave: return "store";
    case SourcePhase::kSendMemory: return "memory";
    case SourcePhase::kSendPorts: return "ports";
    case SourcePhase::kSendProcess: return "process";
    case SourcePhase::kCommit: return "commit";
    case SourcePhase::kRelease: return "release";
    case SourcePhase::kDone: return "done";
  }
  return "unknown";
}

MigrationRecord run_eager(MigrationSteps& steps, uint64_t pid, uint32_t from_node, uint32_t to_node,
                          uint64_t migration_id, const CpuFeatures& features) {
  MigrationRecord record{};
  record.migration_id = migration_id;
  record.pid = pid;
  record.from_node = from_node;
  record.to_node = to_node;
  record.strategy = Strategy::kEager;
  EagerRun(steps, record).run(features);
  return record;
}
const char* decision_name(PrecopyDecision decision) {
  switch (decision) {
    case PrecopyDecision::kAnotherRound: return "another round";
    case PrecopyDecision::kStopSmall: return "small";
    case PrecopyDecision::kStopNotShrinking: return "not shrinking";
    case PrecopyDecision::kStopRoundLimit: return "round limit";
  }
  return "unknown";
}

PrecopyDecision precopy_next(const PrecopyParams& params, uint32_t rounds, uint64_t last_pages,
                             uint64_t previous_pages) {
  if (last_pages <= params.small_pages) return PrecopyDecision::kStopSmall;
  if (rounds >= params.max_rounds) return PrecopyDecision::kStopRoundLimit;
  // last > previous * shrink / 100, without overflow (previous may be UINT64_MAX).
  if (previous_pages != UINT64_MAX &&
      static_cast<unsigned __int128>(last_pages) * 100 >
          static_cast<unsigned __int128>(previous_pages) * params.shrink_percent) {
    return PrecopyDecision::kStopNotShrinking;
  }
  return PrecopyDecision::kAnotherRound;
}

bool has_plan(Strategy strategy) {
  return strategy == Strategy::kEager || strategy == Strategy::kPrecopy ||
         strategy == Strategy::kLazy || strategy == Strategy::kPostcopy ||
         strategy == Strategy::kFlush || strategy == Strategy::kEagerDirty;
}

MigrationRecord run_plan(MigrationSteps& steps, const MigrationPlan& plan,
                         const CpuFeatures& features) {
  MigrationRecord record{};
  record.migration_id = plan.migration_id;
  record.pid = plan.pid;
  record.from_node = plan.from_node;
  record.to_node = plan.to_node;
  record.strategy = plan.strategy;
  if (!has_plan(plan.strategy)) {
    record.error = static_cast<int32_t>(Error::kNotSupported);
    copy_text(record.reason, sizeof(record.reason), "negotiate: ", "that strategy is not built");
    return record;
  }
  EagerRun(steps, record, plan.precopy).run(features);
  return record;
}

}  // namespace atoll_os::servers::migm
