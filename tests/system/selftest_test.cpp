// System test: the in-kernel self-tests run on boot and all pass.
#include <string>

#include "support/node_fixture.h"

namespace atoll_os::host::testing {
namespace {

using SelftestTest = NodeTest;

TEST_F(SelftestTest, AllInKernelSelftestsPass) {
  ASSERT_NO_FATAL_FAILURE(boot("selftest"));

  auto summary = wait_for(LogPattern::regex("selftest: summary ([0-9]+) passed, ([0-9]+) failed"));
  ASSERT_TRUE(is_ok(summary));
  ASSERT_EQ(summary->groups.size(), 3u);
  EXPECT_EQ(summary->groups[2], "0") << summary->line;
  EXPECT_GE(std::stoi(summary->groups[1]), 1) << "no self-test ran: " << summary->line;

  const SerialLog& log = node().log();
  EXPECT_TRUE(log.contains(LogPattern::substring("selftest: PASS")));
  for (const LogLine& line : log.lines()) {
    EXPECT_EQ(line.text.find("selftest: FAIL"), std::string::npos) << line.text;
  }

  std::optional<ExitStatus> status = wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, qemu_exit_status(KernelExit::kSuccess)) << describe_node_exit(*status);
}

}  // namespace
}  // namespace atoll_os::host::testing
