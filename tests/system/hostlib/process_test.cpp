// Process: exit statuses, exec failures, timed waits, stopping, and output capture.
#include "hostlib/process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "support/host_result_assertion.h"

namespace atoll_os::host::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ProcessTest, WaitReportsExitCode) {
  auto p = Process::spawn({"sh", "-c", "exit 3"});
  ASSERT_TRUE(is_ok(p));
  auto status = p->wait(seconds(10));
  ASSERT_TRUE(is_ok(status));
  EXPECT_EQ(*status, (ExitStatus{.exited = true, .code = 3}));
}

TEST(ProcessTest, MissingProgramIsReportedBySpawn) {
  auto p = Process::spawn({"atoll-no-such-program-xyz"});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kNotFound);
  EXPECT_NE(p.failure().message.find("atoll-no-such-program-xyz"), std::string::npos);
}

TEST(ProcessTest, WaitTimesOutAndStopTerminates) {
  auto p = Process::spawn({"sleep", "30"});
  ASSERT_TRUE(is_ok(p));
  auto status = p->wait(milliseconds(50));
  EXPECT_EQ(status.error(), Error::kTimedOut);
  EXPECT_TRUE(p->running());
  ExitStatus stopped = p->stop();
  EXPECT_EQ(stopped, (ExitStatus{.signal = SIGTERM}));
  EXPECT_FALSE(p->running());
}

TEST(ProcessTest, StopEscalatesToKillWhenTermIsIgnored) {
  // exec keeps the ignored TERM and leaves no grandchild holding the test's output open.
  auto p = Process::spawn({"sh", "-c", "trap '' TERM; exec sleep 30"});
  ASSERT_TRUE(is_ok(p));
  // Give the shell time to install its trap; a TERM before that would end it normally.
  std::this_thread::sleep_for(milliseconds(200));
  ExitStatus stopped = p->stop(milliseconds(200));
  EXPECT_EQ(stopped, (ExitStatus{.signal = SIGKILL}));
}

TEST(ProcessTest, DestructorKillsTheChild) {
  pid_t pid;
  {
    auto p = Process::spawn({"sleep", "30"});
    ASSERT_TRUE(is_ok(p));
    pid = p->pid();
  }
  // Reaped by the destructor, so the pid no longer names our child.
  EXPECT_EQ(kill(pid, 0), -1);
}

TEST(ProcessTest, RunCommandCapturesStdoutAndStderr) {
  auto r = run_command({"sh", "-c", "echo out; echo err >&2; exit 4"}, seconds(10));
  ASSERT_TRUE(is_ok(r));
  EXPECT_EQ(r->status, (ExitStatus{.exited = true, .code = 4}));
  EXPECT_NE(r->output.find("out\n"), std::string::npos);
  EXPECT_NE(r->output.find("err\n"), std::string::npos);
}

TEST(ProcessTest, RunCommandTimesOut) {
  auto r = run_command({"sleep", "30"}, milliseconds(100));
  EXPECT_EQ(r.error(), Error::kTimedOut);
}

TEST(ProcessTest, RunCheckedPutsOutputInTheFailure) {
  auto r = run_checked({"sh", "-c", "echo disk full >&2; exit 1"}, seconds(10));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.failure().message.find("disk full"), std::string::npos) << r.failure().message;
}

TEST(ProcessTest, ShellQuoteQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote({"qemu", "-serial", "file:/a/b.log"}), "qemu -serial file:/a/b.log");
  EXPECT_EQ(shell_quote({"gdb", "-ex", "target remote :1234"}), "gdb -ex 'target remote :1234'");
  EXPECT_EQ(shell_quote({"it's"}), "'it'\\''s'");
  EXPECT_EQ(shell_quote({""}), "''");
}

}  // namespace
}  // namespace atoll_os::host::testing
