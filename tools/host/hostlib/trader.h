// The trader from the host: a node's view of the cluster (`trader view`) and queries
// (`trader query ...`) through its ctl. Used by `tools/atoll top`, the CLI and system tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "hostlib/control_channel.h"
#include "hostlib/host_result.h"

namespace atoll_os::host {

/// One node as a trader knows it.
struct TraderNode {
  unsigned node = 0;
  std::string isa;
  unsigned abi = 0;
  double load = 0;  // run-queue length, averaged
  uint64_t mem_total_mib = 0;
  uint64_t mem_free_mib = 0;
  uint64_t processes = 0;
  uint64_t age_ms = 0;   // since the node was last heard
  std::string features;  // "sse,sse2,..."
};

inline constexpr std::chrono::seconds kTraderWait{10};

/// The node's cluster-wide view, in node order.
HostResult<std::vector<TraderNode>> trader_view(ControlChannel& control,
                                                std::chrono::milliseconds timeout = kTraderWait);

/// What a query answered: the chosen node, or ctl's error and reason.
struct TraderAnswer {
  ReplyVerdict verdict;  // not ok: the error and reason, and nothing else is set
  TraderNode node;
  uint64_t matched = 0;
  uint64_t considered = 0;
};
/// Asks the node's trader `query` (a constraint and a preference; docs/trader.md). A
/// refusal is an answer with ok false; a silent or garbled ctl is a failure.
HostResult<TraderAnswer> trader_query(ControlChannel& control, const std::string& query,
                                      std::chrono::milliseconds timeout = kTraderWait);

/// A node object of ctl's trader replies (kBadFormat if a field is missing).
HostResult<TraderNode> parse_trader_node(const JsonValue& node);

}  // namespace atoll_os::host
