// address_of: the cluster's address plan.
#include "hostlib/node_address.h"

#include <gtest/gtest.h>

#include <set>

namespace atoll_os::host {
namespace {

TEST(NodeAddressTest, NodeTwoHasTheDocumentedAddress) {
  const NodeAddress a = address_of(2);
  EXPECT_EQ(a.node, 2u);
  EXPECT_EQ(a.ip, "10.77.0.3");
  EXPECT_EQ(a.prefix_length, 24u);
  EXPECT_EQ(a.mac, "52:54:00:77:00:02");
  EXPECT_EQ(a.cmdline(3), "node=2 nodes=3 ip=10.77.0.3/24 mac=52:54:00:77:00:02");
  EXPECT_EQ(address_of(0).cmdline(1), "node=0 nodes=1 ip=10.77.0.1/24 mac=52:54:00:77:00:00");
}

TEST(NodeAddressTest, MacIsTwoLowercaseHexDigitsAndTheRangeEndsBelowBroadcast) {
  EXPECT_EQ(address_of(0).ip, "10.77.0.1");
  EXPECT_EQ(address_of(0).mac, "52:54:00:77:00:00");
  EXPECT_EQ(address_of(10).mac, "52:54:00:77:00:0a");
  const NodeAddress last = address_of(kMaxClusterNodes - 1);
  EXPECT_EQ(last.ip, "10.77.0.254");
  EXPECT_EQ(last.mac, "52:54:00:77:00:fd");
}

TEST(NodeAddressTest, EveryNodeHasItsOwnIpAndMac) {
  std::set<std::string> ips;
  std::set<std::string> macs;
  for (unsigned i = 0; i < kMaxClusterNodes; ++i) {
    ips.insert(address_of(i).ip);
    macs.insert(address_of(i).mac);
  }
  EXPECT_EQ(ips.size(), kMaxClusterNodes);
  EXPECT_EQ(macs.size(), kMaxClusterNodes);
}

}  // namespace
}  // namespace atoll_os::host
