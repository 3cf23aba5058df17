// The host side of the trader: ctl's trader replies parsed, and the CLI's `migrate --to any`
// and `top --once` options.
#include <gtest/gtest.h>

#include "cli/cli_options.h"
#include "hostlib/json.h"
#include "hostlib/migration.h"
#include "hostlib/trader.h"
#include "support/host_result_assertion.h"

namespace atoll_os::host {
namespace {

using testing::is_ok;

TEST(TraderReplyTest, ANodeObjectIsParsedAndAMissingFieldRefused) {
  auto json =
      parse_json(R"({"node":2,"isa":"x86_64","abi":1,"load":"1.250","mem_total_mib":253,)"
                 R"("mem_free_mib":240,"processes":9,"age_ms":412,"features":"sse,sse2,avx2"})");
  ASSERT_TRUE(is_ok(json));
  auto node = parse_trader_node(*json);
  ASSERT_TRUE(is_ok(node));
  EXPECT_EQ(node->node, 2u);
  EXPECT_EQ(node->isa, "x86_64");
  EXPECT_DOUBLE_EQ(node->load, 1.25);
  EXPECT_EQ(node->mem_free_mib, 240u);
  EXPECT_EQ(node->age_ms, 412u);
  EXPECT_EQ(node->features, "sse,sse2,avx2");
  auto partial = parse_json(R"({"node":2,"isa":"x86_64"})");
  ASSERT_TRUE(is_ok(partial));
  EXPECT_FALSE(parse_trader_node(*partial));
}

TEST(TraderReplyTest, MigrateToAnyAndTopOnceAreOptions) {
  auto any = cli::parse_options({"0x4", "--to", "any"});
  ASSERT_TRUE(is_ok(any));
  ASSERT_TRUE(any->to.has_value());
  EXPECT_EQ(*any->to, kAnyNode);
  auto node = cli::parse_options({"0x4", "--to=2"});
  ASSERT_TRUE(is_ok(node));
  EXPECT_EQ(*node->to, 2u);
  EXPECT_FALSE(cli::parse_options({"0x4", "--to", "anything"}));
  auto once = cli::parse_options({"--once"});
  ASSERT_TRUE(is_ok(once));
  EXPECT_TRUE(once->once);
  EXPECT_FALSE(cli::parse_options({})->once);
}

}  // namespace
}  // namespace atoll_os::host
