// What migm has measured of its links to other nodes, for auto's cost model: throughput from
// the memory slices it sent, round trips from its proposals; defaults until measured.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/migm.h"

namespace atoll_os::servers::migm {

class LinkHistory {
 public:
  /// Until a migration to a node measured it: TCP between two TCG nodes (bench net measured
  /// 36-56 MiB/s; memory slices see less, with their connection set-up).
  static constexpr uint64_t kDefaultBytesPerS = 32ull << 20;
  static constexpr uint64_t kDefaultRttNs = 2'000'000;
  /// A slice smaller than this is all set-up and says nothing of the link.
  static constexpr uint64_t kMinSampleBytes = 256 * 1024;
  static constexpr size_t kNodesMax = 64;

  /// Learns from a migration this node made (successful ones only): the memory phase of an
  /// eager one is one stream of its pages; every proposal is one round trip and a prepare.
  void note(const protocols::migm::MigrationRecord& record);
  uint64_t bytes_per_s(uint32_t node) const;
  uint64_t rtt_ns(uint32_t node) const;

 private:
  struct Link {
    uint64_t bytes_per_s = 0;  // 0: not measured
    uint64_t rtt_ns = 0;
  };
  Link links_[kNodesMax];
};

}  // namespace atoll_os::servers::migm
