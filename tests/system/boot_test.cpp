// System test: a plain boot prints the banner, completes, ticks, and powers off cleanly.
#include "hostlib/boot_bench.h"
#include "support/node_fixture.h"

namespace atoll_os::host::testing {
namespace {

using BootTest = NodeTest;

TEST_F(BootTest, ExitAfterBootReachesBannerBootCompleteAndTimerTick) {
  ASSERT_NO_FATAL_FAILURE(boot("exit_after_boot"));

  auto banner = wait_for(LogPattern::substring(kBannerPrefix));
  ASSERT_TRUE(is_ok(banner));
  auto complete = wait_for(LogPattern::substring(kBootComplete), banner->line_index);
  ASSERT_TRUE(is_ok(complete));
  auto tick = wait_for(LogPattern::regex("timer: tick [0-9]+"), banner->line_index);
  ASSERT_TRUE(is_ok(tick));

  std::optional<ExitStatus> status = wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, qemu_exit_status(KernelExit::kSuccess)) << describe_node_exit(*status);
}

}  // namespace
}  // namespace atoll_os::host::testing
