// The trader protocol: queries over the attributes every node offers, and the cluster-wide
// view the traders keep (docs/trader.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/pm.h"
#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::trader {

inline constexpr uint16_t kProtocolId = kTraderProtocol;
inline constexpr size_t kQueryTextSize = 256;  // NUL included

enum QueryFlags : uint32_t {
  kRequireFeatures = 1u << 0,  // the node must offer every named feature of `required`
  kExcludeSelf = 1u << 1,      // not this node (a destination for one of its processes)
};

struct QueryRequest {
  char text[kQueryTextSize];  // the constraint and preference, NUL-terminated
  pm::CpuFeatures required;
  uint32_t flags;  // QueryFlags
  uint32_t reserved;
};
static_assert(sizeof(QueryRequest) == 280);

/// One node as the view holds it.
struct NodeOffer {
  uint32_t node;
  uint32_t isa;  // ELF e_machine: 62 is x86-64
  uint32_t abi_version;
  uint32_t load_milli;  // run-queue length averaged, thousandths
  pm::CpuFeatures features;
  uint64_t mem_total_pages;
  uint64_t mem_free_pages;
  uint32_t processes;
  uint32_t reserved;
  uint64_t age_ms;  // since its trader was last heard
};
static_assert(sizeof(NodeOffer) == 64);

struct QueryReply {
  uint32_t matched;     // nodes that satisfy the query
  uint32_t considered;  // nodes the view holds that the flags allowed
  NodeOffer best;
};
static_assert(sizeof(QueryReply) == 72);

struct ViewRequest {
  uint32_t first_node;
  uint32_t reserved;
};
static_assert(sizeof(ViewRequest) == 8);

inline constexpr size_t kViewPageMax = 6;
struct ViewReply {
  uint32_t count;
  uint32_t more;   // nonzero: ask again from the last node here + 1
  uint32_t self;   // this node
  uint32_t known;  // nodes in the whole view
  NodeOffer entries[kViewPageMax];
};
static_assert(sizeof(ViewReply) == 400);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/trader.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::trader
