// Kernel exit codes: the debug-exit values and how QEMU statuses are read back.
#include "hostlib/kernel_exit.h"

#include <gtest/gtest.h>

namespace atoll_os::host {
namespace {

TEST(KernelExitTest, QemuStatusIsValueShiftedWithLowBitSet) {
  EXPECT_EQ(kDebugExitPort, 0xf4);
  EXPECT_EQ(qemu_status(KernelExit::kSuccess), 33);
  EXPECT_EQ(qemu_status(KernelExit::kPanic), 35);
  EXPECT_EQ(qemu_status(KernelExit::kSelftestFailed), 37);
}

TEST(KernelExitTest, StatusesMapBackToKernelVerdicts) {
  EXPECT_EQ(kernel_exit_of({.exited = true, .code = 33}), KernelExit::kSuccess);
  EXPECT_EQ(kernel_exit_of({.exited = true, .code = 35}), KernelExit::kPanic);
  EXPECT_EQ(kernel_exit_of({.exited = true, .code = 37}), KernelExit::kSelftestFailed);
  EXPECT_EQ(kernel_exit_of({.exited = true, .code = 0}), std::nullopt);
  EXPECT_EQ(kernel_exit_of({.exited = true, .code = 1}), std::nullopt);
  // Killed by signal 33 is not "exited with 33".
  EXPECT_EQ(kernel_exit_of({.exited = false, .code = 0, .signal = 33}), std::nullopt);
}

TEST(KernelExitTest, DescriptionsNameTheVerdictOrExplainTheStatus) {
  EXPECT_EQ(describe_node_exit({.exited = true, .code = 35}), "exit status 35 (kernel: panic)");
  EXPECT_NE(describe_node_exit({.exited = true, .code = 0}).find("triple fault"),
            std::string::npos);
  EXPECT_NE(describe_node_exit({.exited = false, .signal = 9}).find("signal 9"), std::string::npos);
}

}  // namespace
}  // namespace atoll_os::host
