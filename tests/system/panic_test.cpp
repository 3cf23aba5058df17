// System test: a deliberate page fault ends in a panic report with cr2 and a symbolized trace.
#include "support/node_fixture.h"

namespace atoll_os::host::testing {
namespace {

using PanicTest = NodeTest;

TEST_F(PanicTest, PageFaultPanicsWithFaultAddressAndBacktrace) {
  ASSERT_NO_FATAL_FAILURE(boot("crash=page_fault"));

  std::optional<ExitStatus> status = wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, qemu_exit_status(KernelExit::kPanic)) << describe_node_exit(*status);

  const SerialLog& log = node().log();
  std::optional<size_t> panic = log.find(LogPattern::substring("PANIC"));
  ASSERT_TRUE(panic.has_value()) << "no PANIC line";
  EXPECT_TRUE(log.find(LogPattern::substring("page fault (vector 14"), *panic))
      << "panic names no page fault";
  EXPECT_TRUE(log.find(LogPattern::substring("cr2=0x00000000dead0000"), *panic))
      << "panic does not report the faulting address 0xdead0000";
  EXPECT_TRUE(
      log.find(LogPattern::substring("in atoll_os::kernel::trigger_page_fault()+0x"), *panic))
      << "panic does not name the faulting function";
  EXPECT_TRUE(log.find(LogPattern::substring("#1 0x"), *panic)) << "backtrace has no caller";
  // Searched after the PANIC line, so only the backtrace can satisfy it, not a line the
  // kernel prints before it crashes on purpose.
  EXPECT_TRUE(log.find(LogPattern::substring("trigger_page_fault"), *panic))
      << "backtrace does not name trigger_page_fault";
}

}  // namespace
}  // namespace atoll_os::host::testing
