// ktest's checks, shared by its files: CHECK records the failed condition and fails the test.
#pragma once

#include "atoll/result.h"

namespace atoll_os::guest {

extern const char* failed_check;

#define CHECK(condition)                            \
  do {                                              \
    if (!(condition)) {                             \
      ::atoll_os::guest::failed_check = #condition; \
      return false;                                 \
    }                                               \
  } while (0)

template <typename T>
bool fails_with(const Result<T>& r, Error e) {
  return !r.ok() && r.error() == e;
}

/// The checks of the mechanisms that process migration is built on (ktest_migration.cpp).
void run_migration_tests(void (*run)(const char* name, bool (*test)()));

}  // namespace atoll_os::guest
