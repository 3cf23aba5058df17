// Link measurements, smoothed: each new sample counts a quarter.
#include "link_history.h"

namespace atoll_os::servers::migm {
namespace {

uint64_t smooth(uint64_t old, uint64_t sample) {
  return old == 0 ? sample : (3 * old + sample) / 4;
}

}  // namespace

void LinkHistory::note(const protocols::migm::MigrationRecord& r) {
  if (r.error != 0 || r.to_node >= kNodesMax) return;
  Link& link = links_[r.to_node];
  if (r.negotiate_ns != 0) link.rtt_ns = smooth(link.rtt_ns, r.negotiate_ns);
  bool one_stream = r.strategy == protocols::migm::Strategy::kEager;
  if (one_stream && r.memory_ns != 0 && r.bytes_sent >= kMinSampleBytes) {
    // bytes * 1e9 / ns without overflow for any slice below 16 EiB / 1e9.
    uint64_t sample = r.bytes_sent / 1000 * 1'000'000'000 / (r.memory_ns / 1000 + 1);
    link.bytes_per_s = smooth(link.bytes_per_s, sample);
  }
}

uint64_t LinkHistory::bytes_per_s(uint32_t node) const {
  uint64_t measured = node < kNodesMax ? links_[node].bytes_per_s : 0;
  return measured != 0 ? measured : kDefaultBytesPerS;
}

uint64_t LinkHistory::rtt_ns(uint32_t node) const {
  uint64_t measured = node < kNodesMax ? links_[node].rtt_ns : 0;
  return measured != 0 ? measured : kDefaultRttNs;
}

}  // namespace atoll_os::servers::migm
