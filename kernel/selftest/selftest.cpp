// The self-test runner: runs each group's tests in order and reports over serial.
#include "selftest/selftest.h"

#include "log.h"

namespace atoll_os::kernel {
namespace {

int run_group(std::span<const SelfTest> tests, int& passed) {
  int failed = 0;
  for (const SelfTest& test : tests) {
    const char* failure = test.run();
    if (failure == nullptr) {
      log_info("selftest: PASS %s", test.name);
      ++passed;
    } else {
      log_error("selftest: FAIL %s: %s", test.name, failure);
      ++failed;
    }
  }
  return failed;
}

}  // namespace

int run_selftests() {
  int passed = 0;
  int failed = run_group(memory_selftests(), passed);
  failed += run_group(interrupt_selftests(), passed);
  log_info("selftest: summary %d passed, %d failed", passed, failed);
  return failed;
}

}  // namespace atoll_os::kernel
