// The source side of a migration: the eager plan over the slice interface every strategy
// uses. migm moves nothing itself: each step asks the server that owns a slice (pm, mm) to
// do its part, or asks the destination's migm; this file only sequences, times and undoes.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/migm.h"
#include "atoll/protocols/mm.h"
#include "atoll/result.h"
#include "cpu_features.h"

namespace atoll_os::servers::migm {

using protocols::migm::MigrationRecord;
using protocols::migm::Strategy;

inline constexpr size_t kNameMax = 16;

/// What migm needs to know of the process (from pm).
struct ProcessFacts {
  uint64_t pid;
  uint64_t parent;
  uint64_t resident_pages;
  uint64_t page_quota;
  uint32_t priority;
  uint32_t flags;
  char name[kNameMax];
};

/// The instruction set a process runs, as ELF names it (e_machine): the only one is x86-64.
inline constexpr uint32_t kIsaX86_64 = 62;  // EM_X86_64

/// What the source proposes to the destination's migm.
struct Proposal {
  uint32_t version;
  uint32_t isa;  // kIsaX86_64
  Strategy strategy;
  uint64_t migration_id;
  ProcessFacts process;
  CpuFeatures features;  // what the process may rely on
};

/// What sending one slice cost.
struct SliceCost {
  uint64_t bytes;
  uint64_t pages;
};

/// The steps of a migration on the source node, one per server and slice. Each failing step
/// leaves its reason in reason().
class MigrationSteps {
 public:
  virtual Result<ProcessFacts> describe(uint64_t pid) = 0;
  /// The destination's answer to the proposal: it prepared the process, or refused.
  virtual Result<void> propose(uint32_t node, const Proposal& proposal) = 0;
  virtual Result<void> freeze(uint64_t pid) = 0;
  virtual Result<SliceCost> send_memory(uint64_t pid, uint64_t migration_id, uint32_t node) = 0;
  /// The ipcm slice: the destination's ipcm learns the process's ports and prepares them
  /// (their queues follow once committed, at release). Before send_process: pm's slice
  /// takes the ports' new objects from it. Nothing to do for a process without ports.
  virtual Result<SliceCost> send_ports(uint64_t pid, uint64_t migration_id, uint32_t node) = 0;
  virtual Result<SliceCost> send_process(uint64_t pid, uint64_t migration_id, uint32_t node) = 0;
  /// A memory slice of another kind than eager's (protocols::mm::SendMode): precopy's rounds
  /// (the first ones while the process runs), lazy's and postcopy's page map, flush's and
  /// eager-dirty's page store work (the steps name the store to mm: uses_store(mode)), and
  /// kStoreDrop, the undo of what they put there.
  virtual Result<SliceCost> send_pages(uint64_t pid, uint64_t migration_id, uint32_t node,
                                       protocols::mm::SendMode mode) = 0;
  /// Undoes a lazy or postcopy memory slice before commit: the source's mm lets go of the
  /// pages it kept for the destination.
  virtual void drop_residual(uint64_t migration_id) = 0;
  /// kNotFound: the destination is gone (the process died with it); another error: it
  /// refused (it has aborted its side); kTimedOut: no answer (it may have started it).
  virtual Result<void> commit(uint32_t node, uint64_t pid, uint64_t migration_id) = 0;
  virtual Result<void> release(uint64_t pid) = 0;
  virtual Result<void> thaw(uint64_t pid) = 0;
  virtual void abort(uint32_t node, uint64_t pid, uint64_t migration_id) = 0;
  virtual uint64_t now_ns() = 0;
  virtual const char* reason() = 0;

 protected:
  ~MigrationSteps() = default;
};

/// Pre-copy's stop rule parameters (docs/strategies.md).
struct PrecopyParams {
  uint32_t max_rounds = 8;       // live rounds at most, the first (every page) included
  uint64_t small_pages = 64;     // a round this small: freeze now
  uint32_t shrink_percent = 80;  // a round above this share of the one before: not shrinking
};

enum class PrecopyDecision {
  kAnotherRound,
  kStopSmall,         // the dirty set is small enough to send frozen
  kStopNotShrinking,  // the process dirties pages about as fast as rounds send them
  kStopRoundLimit,
};
const char* decision_name(PrecopyDecision decision);

/// The stop rule, after `rounds` live rounds, the last of which sent `last_pages` and the
/// one before `previous_pages` (the first round: no previous, pass UINT64_MAX).
PrecopyDecision precopy_next(const PrecopyParams& params, uint32_t rounds, uint64_t last_pages,
                             uint64_t previous_pages);

/// Where the source stands, for the record and the tests.
enum class SourcePhase {
  kDescribe,
  kPropose,
  kFreeze,
  kPrecopy,    // a live round
  kStoreSave,  // eager-dirty's live save to the page store
  kSendMemory,
  kSendPorts,
  kSendProcess,
  kCommit,
  kRelease,
  kDone,
};
const char* phase_name(SourcePhase phase);

/// Runs the eager plan: describe, propose, freeze, memory slice, ipcm slice, process slice,
/// commit, release. Before commit any failure thaws the process and aborts the destination, so the
/// process runs on here as if nothing had happened; after commit the source holds nothing.
/// The record's error and reason say what happened ("phase: why").
MigrationRecord run_eager(MigrationSteps& steps, uint64_t pid, uint32_t from_node, uint32_t to_node,
                          uint64_t migration_id, const CpuFeatures& features);

/// Where and what a migration moves.
struct MigrationPlan {
  uint64_t pid;
  uint32_t from_node;
  uint32_t to_node;
  uint64_t migration_id;
  Strategy strategy;  // eager, precopy, lazy or postcopy
  PrecopyParams precopy;
};

/// Runs the plan of `plan.strategy` over the same steps as eager:
/// - precopy: live rounds (send_pages kPrecopyFirst, then kPrecopyDirty) while the stop rule
///   says so, then freeze and a last kPrecopyDirty round, then as eager;
/// - lazy, postcopy: freeze, send_pages kLazy / kPostcopy (the page map only), then as eager;
///   an undo before commit also drops what the source's mm kept (drop_residual).
/// - flush: freeze, send_pages kFlush (every resident page to the store, the map to the
///   destination), then as eager;
/// - eager-dirty: send_pages kStoreSave while it runs (counted as one live round), freeze,
///   send_pages kEagerDirty (the pages dirtied since, the map of the rest), then as eager.
///   For both, an undo after the store was asked also sends kStoreDrop (the store forgets
///   the process; a refused put has stored nothing, but earlier puts of it may be there).
/// A strategy without a plan is refused (kNotSupported) before anything is done.
MigrationRecord run_plan(MigrationSteps& steps, const MigrationPlan& plan,
                         const CpuFeatures& features);

/// Whether run_plan has a plan for `strategy`.
bool has_plan(Strategy strategy);

}  // namespace atoll_os::servers::migm
