// DetachedProcess and released children: processes found again by pid and start time.
#include "hostlib/detached_process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostlib/process.h"
#include "support/host_result_assertion.h"

namespace atoll_os::host::testing {
namespace {

using std::chrono::seconds;

TEST(DetachedProcessTest, ThisProcessIsAliveAndAWrongStartTimeIsNot) {
  auto self = DetachedProcess::of(getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_TRUE(self->alive());
  EXPECT_FALSE(DetachedProcess(getpid(), self->start_time() + 1).alive())
      << "a reused pid must not pass for the process recorded";
  EXPECT_FALSE(DetachedProcess().alive());
  EXPECT_FALSE(DetachedProcess::of(-1).has_value());
}

TEST(DetachedProcessTest, AReleasedChildRunsOnUntilTerminated) {
  std::optional<DetachedProcess> child;
  {
    auto p = Process::spawn({"sleep", "30"}, {.new_session = true});
    ASSERT_TRUE(is_ok(p));
    child = DetachedProcess::of(p->pid());
    ASSERT_TRUE(child.has_value());
    EXPECT_EQ(p->release(), child->pid());
  }
  EXPECT_TRUE(child->alive()) << "destroying a released Process must not kill the child";
  EXPECT_EQ(getsid(child->pid()), child->pid()) << "the child leads a session of its own";
  // The released child is still this process's child: until reaped it is a zombie, which
  // counts as gone.
  EXPECT_TRUE(child->terminate(seconds(5)));
  EXPECT_FALSE(child->alive());
  waitpid(child->pid(), nullptr, 0);
}

}  // namespace
}  // namespace atoll_os::host::testing
