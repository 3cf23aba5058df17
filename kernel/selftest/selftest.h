// In-kernel self-tests, run by the `selftest` boot option and reported over serial.
#pragma once

#include <span>

namespace atoll_os::kernel {

/// A test returns nullptr on success, or a static string saying what went wrong.
struct SelfTest {
  const char* name;
  const char* (*run)();
};

/// Fails the enclosing self-test with the condition and line when `condition` is false.
#define SELFTEST_EXPECT(condition)                                                 \
  do {                                                                             \
    if (!(condition)) return #condition " (" __FILE__ ":" ATOLL_STR(__LINE__) ")"; \
  } while (0)
#define ATOLL_STR(x) ATOLL_STR2(x)
#define ATOLL_STR2(x) #x

std::span<const SelfTest> memory_selftests();
std::span<const SelfTest> interrupt_selftests();

/// Runs every self-test, printing "selftest: PASS name" or "selftest: FAIL name: reason"
/// and a summary line; returns the number of failures.
int run_selftests();

}  // namespace atoll_os::kernel
