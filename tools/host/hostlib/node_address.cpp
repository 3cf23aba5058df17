// address_of: node number to IPv4 address and MAC.
#include "hostlib/node_address.h"

#include <cassert>
#include <cstdio>

namespace atoll_os::host {

std::string NodeAddress::cmdline(unsigned cluster_nodes) const {
  return "node=" + std::to_string(node) + " nodes=" + std::to_string(cluster_nodes) + " ip=" + ip +
         "/" + std::to_string(prefix_length) + " mac=" + mac;
}

NodeAddress address_of(unsigned node) {
  assert(node < kMaxClusterNodes);
  char mac[sizeof "52:54:00:77:00:ff"];
  snprintf(mac, sizeof mac, "52:54:00:77:00:%02x", node);
  return {.node = node, .ip = "10.77.0." + std::to_string(node + 1), .mac = mac};
}

}  // namespace atoll_os::host
