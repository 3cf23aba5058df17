// The source side of a migration: the eager plan over the slice interface every strategy
// uses. migm moves nothing itself: each step asks the server that owns a slice (pm, mm) to
// do its part, or asks the destination's migm; this file only sequences, times and undoes.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/migm.h"
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
  virtual Result<SliceCost> send_process(uint64_t pid, uint64_t migration_id, uint32_t node) = 0;
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

/// Where the source stands, for the record and the tests.
enum class SourcePhase {
  kDescribe,
  kPropose,
  kFreeze,
  kSendMemory,
  kSendProcess,
  kCommit,
  kRelease,
  kDone,
};
const char* phase_name(SourcePhase phase);

/// Runs the eager plan: describe, propose, freeze, memory slice, process slice, commit,
/// release. Before commit any failure thaws the process and aborts the destination, so the
/// process runs on here as if nothing had happened; after commit the source holds nothing.
/// The record's error and reason say what happened ("phase: why").
MigrationRecord run_eager(MigrationSteps& steps, uint64_t pid, uint32_t from_node, uint32_t to_node,
                          uint64_t migration_id, const CpuFeatures& features);

}  // namespace atoll_os::servers::migm
