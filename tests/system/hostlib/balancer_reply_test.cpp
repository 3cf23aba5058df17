// The host side of the balancer: ctl's status replies parsed, cpuburn's checksum computed on
// the host, and `balancer set ...` words reaching the CLI as positional arguments.
#include <gtest/gtest.h>

#include "cli/cli_options.h"
#include "hostlib/balancer.h"
#include "hostlib/json.h"
#include "support/host_result_assertion.h"

namespace atoll_os::host {
namespace {

using testing::is_ok;

TEST(BalancerReplyTest, AStatusIsParsedAndAMissingFieldRefused) {
  auto json =
      parse_json(R"({"ok":true,"cmd":"balancer","node":1,"enabled":true,"threshold":"1.500",)"
                 R"("margin":"0.500","interval_ms":1000,"cooldown_ms":3000,"settle_ms":10000,)"
                 R"("max_moves":6,"strategy":"auto","decisions":42,"migrations":3,"failures":1,)"
                 R"("load":"2.125","last":"load 8.000 > 1.500: 3 to nodes 1,2,3"})");
  ASSERT_TRUE(is_ok(json));
  auto s = parse_balancer_state(*json);
  ASSERT_TRUE(is_ok(s));
  EXPECT_EQ(s->node, 1u);
  EXPECT_TRUE(s->enabled);
  EXPECT_EQ(s->threshold, "1.500");
  EXPECT_EQ(s->cooldown_ms, 3000u);
  EXPECT_EQ(s->max_moves, 6u);
  EXPECT_EQ(s->strategy, "auto");
  EXPECT_EQ(s->decisions, 42u);
  EXPECT_EQ(s->migrations, 3u);
  EXPECT_EQ(s->failures, 1u);
  EXPECT_EQ(s->load, "2.125");
  EXPECT_EQ(s->last, "load 8.000 > 1.500: 3 to nodes 1,2,3");
  auto partial = parse_json(R"({"ok":true,"cmd":"balancer","node":1,"enabled":true})");
  ASSERT_TRUE(is_ok(partial));
  EXPECT_FALSE(parse_balancer_state(*partial));
}

TEST(BalancerReplyTest, CpuburnChecksumMatchesTheGuest) {
  // What `cpuburn 200` printed on a node.
  EXPECT_EQ(cpuburn_checksum(200), 0x2276e1b7744002daull);
  EXPECT_NE(cpuburn_checksum(1), cpuburn_checksum(2));
}

TEST(BalancerReplyTest, SetWordsArePositional) {
  auto options = cli::parse_options({"set", "threshold=2", "strategy=eager"});
  ASSERT_TRUE(is_ok(options));
  ASSERT_EQ(options->positional.size(), 3u);
  EXPECT_EQ(options->positional[1], "threshold=2");
}

}  // namespace
}  // namespace atoll_os::host
