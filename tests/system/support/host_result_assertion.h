// is_ok(): GoogleTest assertions on HostResult that print the failure's message.
#pragma once

#include <gtest/gtest.h>

#include "hostlib/host_result.h"

namespace atoll_os::host::testing {

/// ASSERT_TRUE(is_ok(r)) fails with "error_name: message" instead of just "false".
template <typename T>
::testing::AssertionResult is_ok(const HostResult<T>& result) {
  if (result.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.failure().describe();
}

}  // namespace atoll_os::host::testing
