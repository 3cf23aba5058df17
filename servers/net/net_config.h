// This node's network identity, from the kernel command line: `node=N ip=A.B.C.D/PREFIX
// mac=xx:xx:xx:xx:xx:xx`.
#pragma once

#include <stdint.h>

#include <array>
#include <string_view>

#include "atoll/result.h"

namespace atoll_os::servers::net {

struct NetConfig {
  uint32_t node = 0;
  std::array<uint8_t, 4> ip = {};  // in the order written: ip[0] is A
  uint8_t prefix_length = 0;       // 1..30: a subnet with room for hosts
  std::array<uint8_t, 6> mac = {};

  /// The subnet mask of prefix_length, as four bytes in the order written.
  std::array<uint8_t, 4> netmask() const;
};

/// Reads node=, ip= and mac= from the kernel command line `text` (other options are
/// ignored). Errors, with a short reason in `*reason`: kNotFound if one of the three is
/// absent; kBadFormat for a malformed command line or value, a node above
/// protocols::pm::kMaxNode, a prefix outside 1..30, an address that is not a host of its
/// subnet (network or broadcast address, 0/8, loopback, multicast or reserved), a group
/// (multicast or broadcast) or all-zero MAC.
Result<NetConfig> parse_net_config(std::string_view text, const char** reason);

}  // namespace atoll_os::servers::net
