// The cluster's address plan: each node's number, IPv4 address and MAC, in one place.
#pragma once

#include <string>

namespace atoll_os::host {

/// Nodes a cluster can hold: node i has host address i + 1 in a /24, and .255 is broadcast.
inline constexpr unsigned kMaxClusterNodes = 254;

/// The identity the host gives node `node` on its kernel command line.
struct NodeAddress {
  unsigned node = 0;
  std::string ip;  // "10.77.0.3"
  unsigned prefix_length = 24;
  std::string mac;  // "52:54:00:77:00:02", locally administered (QEMU's 52:54:00 prefix)

  /// "node=2 nodes=3 ip=10.77.0.3/24 mac=52:54:00:77:00:02" for a node of a cluster of
  /// `cluster_nodes`: the words init, the network server and ipcm read (ipcm finds node n
  /// at host address n + 1 of the subnet, for every n below nodes=).
  std::string cmdline(unsigned cluster_nodes) const;

  bool operator==(const NodeAddress&) const = default;
};

/// Node `node`'s address: 10.77.0.<node+1>/24, MAC 52:54:00:77:00:<node in hex>.
/// Precondition: node < kMaxClusterNodes.
NodeAddress address_of(unsigned node);

}  // namespace atoll_os::host
