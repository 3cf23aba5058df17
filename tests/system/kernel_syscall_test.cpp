// System test: the guest suite `ktest` exercises the kernel's system calls from user mode,
// as init, and reports each check; and the IPC benchmark program runs to its end.
#include <string>

#include "support/node_fixture.h"

namespace atoll_os::host::testing {
namespace {

using KernelSyscallTest = NodeTest;

TEST_F(KernelSyscallTest, GuestSuitePassesAsInit) {
  ASSERT_NO_FATAL_FAILURE(boot("init=ktest poweroff_on_init_exit tick_log=0"));

  auto summary = wait_for(LogPattern::regex("ktest: summary ([0-9]+) failed"));
  ASSERT_TRUE(is_ok(summary));
  EXPECT_EQ(summary->groups[1], "0") << summary->line;

  const SerialLog& log = node().log();
  for (const char* check :
       {"forged_handles_refused", "bad_pointers_refused", "calls_between_tasks",
        "handles_move_in_messages", "page_faults_go_to_the_pager", "memory_rights_enforced",
        "revocation_cuts_derived_handles", "timeouts_expire", "dma_memory_for_drivers",
        "thousand_tasks_leave_nothing", "load_follows_runnable_threads"}) {
    EXPECT_TRUE(log.contains(LogPattern::substring(std::string("ktest: PASS ") + check)))
        << check << " did not pass";
  }
  std::optional<ExitStatus> status = wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, qemu_exit_status(KernelExit::kSuccess)) << describe_node_exit(*status);
}

TEST_F(KernelSyscallTest, IpcBenchmarkReportsFigures) {
  ASSERT_NO_FATAL_FAILURE(boot("init=ipcbench poweroff_on_init_exit tick_log=0"));
  auto line = wait_for(LogPattern::regex(
      "ipcbench: null_syscall_ticks=([0-9]+) roundtrip_ticks=([0-9]+) roundtrip_ns=([0-9]+)"));
  ASSERT_TRUE(is_ok(line));
  EXPECT_GT(std::stoull(line->groups[2]), std::stoull(line->groups[1]))
      << "a round trip cannot cost less than a null system call: " << line->line;
  std::optional<ExitStatus> status = wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, qemu_exit_status(KernelExit::kSuccess)) << describe_node_exit(*status);
}

}  // namespace
}  // namespace atoll_os::host::testing
