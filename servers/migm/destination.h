// The destination side of a migration: judging a proposal (version, strategy, CPU features,
// memory) and driving the local servers through prepare, commit or abort. A prepared
// migration whose source falls silent is aborted after kPreparedLifetimeNs.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "source.h"

namespace atoll_os::servers::migm {

/// The answer migm gives a peer: error kOk, or why not.
struct PeerAnswer {
  int32_t error;
  uint32_t reserved;
  char reason[96];
};

/// Pages a node keeps free beyond what an incoming process brings.
inline constexpr uint64_t kMarginPages = 256;
inline constexpr uint64_t kPreparedLifetimeNs = 60'000'000'000;
inline constexpr size_t kIncomingMax = 8;

/// What the destination's servers do for an incoming process.
class DestinationSteps {
 public:
  virtual Result<uint64_t> free_pages() = 0;
  virtual CpuFeatures features() = 0;
  virtual Result<void> prepare(const Proposal& proposal) = 0;
  virtual Result<void> commit(uint64_t pid) = 0;
  virtual Result<void> abort(uint64_t pid) = 0;
  virtual const char* reason() = 0;

 protected:
  ~DestinationSteps() = default;
};

class Incoming {
 public:
  explicit Incoming(DestinationSteps& steps) : steps_(steps) {}

  PeerAnswer propose(const Proposal& proposal, uint16_t from_node, uint64_t now_ns);
  PeerAnswer commit(uint64_t migration_id, uint64_t pid);
  PeerAnswer abort(uint64_t migration_id, uint64_t pid);
  /// Aborts prepared migrations older than kPreparedLifetimeNs; how many.
  size_t expire(uint64_t now_ns);
  size_t pending() const;

 private:
  struct Entry {
    bool used;
    uint64_t migration_id;
    uint64_t pid;
    uint16_t from_node;
    uint64_t prepared_at;
  };
  Entry* find(uint64_t migration_id, uint64_t pid);
  PeerAnswer judge(const Proposal& proposal);

  DestinationSteps& steps_;
  Entry entries_[kIncomingMax] = {};
};

PeerAnswer answer(Error error, const char* reason);

}  // namespace atoll_os::servers::migm
