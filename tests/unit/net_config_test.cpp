// The node's network identity from the kernel command line: good lines and each way of
// getting one wrong.
#include <gtest/gtest.h>

#include <string>

#include "net/net_config.h"

namespace atoll_os::servers::net {
namespace {

struct Parsed {
  Result<NetConfig> config;
  std::string reason;
};

Parsed parse(std::string_view line) {
  const char* reason = "";
  Result<NetConfig> config = parse_net_config(line, &reason);
  return {config, reason};
}

TEST(NetConfig, ReadsNodeAddressPrefixAndMac) {
  Parsed p = parse("console=serial node=2 ip=10.77.0.3/24 mac=52:54:00:77:00:02 init=x");
  ASSERT_TRUE(p.config.ok()) << p.reason;
  EXPECT_EQ(p.config->node, 2u);
  EXPECT_EQ(p.config->ip, (std::array<uint8_t, 4>{10, 77, 0, 3}));
  EXPECT_EQ(p.config->prefix_length, 24);
  EXPECT_EQ(p.config->netmask(), (std::array<uint8_t, 4>{255, 255, 255, 0}));
  EXPECT_EQ(p.config->mac, (std::array<uint8_t, 6>{0x52, 0x54, 0x00, 0x77, 0x00, 0x02}));
}

TEST(NetConfig, AcceptsUpperCaseMacAndOddPrefixes) {
  Parsed p = parse("node=0 ip=192.168.100.129/25 mac=02:AB:cd:EF:00:FF");
  ASSERT_TRUE(p.config.ok()) << p.reason;
  EXPECT_EQ(p.config->netmask(), (std::array<uint8_t, 4>{255, 255, 255, 128}));
  EXPECT_EQ(p.config->mac, (std::array<uint8_t, 6>{0x02, 0xab, 0xcd, 0xef, 0x00, 0xff}));
  Parsed wide = parse("node=32767 ip=10.1.2.3/1 mac=52:54:00:00:00:01");
  ASSERT_TRUE(wide.config.ok()) << wide.reason;
  EXPECT_EQ(wide.config->netmask(), (std::array<uint8_t, 4>{128, 0, 0, 0}));
  Parsed narrow = parse("node=1 ip=10.1.2.6/30 mac=52:54:00:00:00:01");
  EXPECT_TRUE(narrow.config.ok()) << narrow.reason;
}

TEST(NetConfig, MissingOptionsAreNotFound) {
  for (std::string_view line : {"ip=10.0.0.1/24 mac=52:54:00:00:00:01",
                                "node=1 mac=52:54:00:00:00:01", "node=1 ip=10.0.0.1/24", ""}) {
    Parsed p = parse(line);
    EXPECT_EQ(p.config.error(), Error::kNotFound) << line;
    EXPECT_NE(p.reason, "") << line;
  }
}

TEST(NetConfig, RejectsMalformedValues) {
  const char* const lines[] = {
      "node=1 ip=10.0.0.1/24 mac=52:54:00:00:00:01 bad=\"unterminated",
      "node=x ip=10.0.0.1/24 mac=52:54:00:00:00:01",
      "node=32768 ip=10.0.0.1/24 mac=52:54:00:00:00:01",  // above pm's node limit
      "node=1 ip=10.0.0.1 mac=52:54:00:00:00:01",         // no prefix
      "node=1 ip=10.0.0/24 mac=52:54:00:00:00:01",
      "node=1 ip=10.0.0.256/24 mac=52:54:00:00:00:01",
      "node=1 ip=10.0.0.1.5/24 mac=52:54:00:00:00:01",
      "node=1 ip=0x0a.0.0.1/24 mac=52:54:00:00:00:01",
      "node=1 ip=10.0.0.1/24x mac=52:54:00:00:00:01",
      "node=1 ip=10.0.0.1/ mac=52:54:00:00:00:01",
      "node=1 ip= mac=52:54:00:00:00:01",
      "node=1 ip=10.0.0.1/24 mac=52:54:00:00:00",
      "node=1 ip=10.0.0.1/24 mac=52:54:00:00:00:01:02",
      "node=1 ip=10.0.0.1/24 mac=52-54-00-00-00-01",
      "node=1 ip=10.0.0.1/24 mac=52:54:0:00:00:01",
      "node=1 ip=10.0.0.1/24 mac=52:54:00:00:00:0g",
  };
  for (const char* line : lines) {
    Parsed p = parse(line);
    EXPECT_EQ(p.config.error(), Error::kBadFormat) << line;
    EXPECT_NE(p.reason, "") << line;
  }
}

TEST(NetConfig, RejectsAddressesThatCannotBeAHost) {
  const char* const lines[] = {
      "node=1 ip=10.0.0.1/0 mac=52:54:00:00:00:01",   // prefix 0
      "node=1 ip=10.0.0.1/31 mac=52:54:00:00:00:01",  // prefix > 30
      "node=1 ip=10.0.0.1/32 mac=52:54:00:00:00:01",
      "node=1 ip=10.0.0.1/33 mac=52:54:00:00:00:01",
      "node=1 ip=10.0.0.0/24 mac=52:54:00:00:00:01",    // network address
      "node=1 ip=10.0.0.255/24 mac=52:54:00:00:00:01",  // broadcast address
      "node=1 ip=0.0.0.5/24 mac=52:54:00:00:00:01",
      "node=1 ip=127.0.0.1/8 mac=52:54:00:00:00:01",
      "node=1 ip=224.0.0.5/24 mac=52:54:00:00:00:01",
      "node=1 ip=250.0.0.5/24 mac=52:54:00:00:00:01",
  };
  for (const char* line : lines) {
    Parsed p = parse(line);
    EXPECT_EQ(p.config.error(), Error::kBadFormat) << line;
  }
}

TEST(NetConfig, RejectsGroupAndZeroMacs) {
  Parsed multicast = parse("node=1 ip=10.0.0.1/24 mac=01:00:5e:00:00:01");
  EXPECT_EQ(multicast.config.error(), Error::kBadFormat);
  EXPECT_EQ(multicast.reason, "mac= is a group (multicast) address");
  Parsed broadcast = parse("node=1 ip=10.0.0.1/24 mac=ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(broadcast.config.error(), Error::kBadFormat);
  Parsed zero = parse("node=1 ip=10.0.0.1/24 mac=00:00:00:00:00:00");
  EXPECT_EQ(zero.config.error(), Error::kBadFormat);
  EXPECT_EQ(zero.reason, "mac= is all zeros");
}

}  // namespace
}  // namespace atoll_os::servers::net
