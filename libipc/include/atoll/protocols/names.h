// The name service protocol: servers register endpoints under names, clients look them up.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::names {

inline constexpr uint16_t kProtocolId = kNamesProtocol;
inline constexpr size_t kNameMax = 32;  // bytes, including the terminating NUL

/// A name: 1..31 printable ASCII characters other than space, NUL-terminated.
struct NameRequest {
  char name[kNameMax];
};
static_assert(sizeof(NameRequest) == 32);

struct OwnerRequest {
  uint64_t owner;  // a badge, i.e. the PID of a process
};
static_assert(sizeof(OwnerRequest) == 8);

struct ReleaseReply {
  uint32_t released;  // names removed
  uint32_t reserved;
};
static_assert(sizeof(ReleaseReply) == 8);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/names.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::names
