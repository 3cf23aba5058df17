// A mutual-exclusion lock for threads of one task that yields the CPU while it waits.
#pragma once

#include "atoll/user/clock.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::user {

/// A test-and-set lock. A node has one CPU and the holder may have been preempted, so a
/// waiter gives up its time slice instead of spinning. A yield only lets threads of the
/// waiter's priority or higher run, so a waiter that keeps finding the lock held sleeps
/// between tries: a holder of lower priority, or one blocked for long (ctl's writer while
/// the host reads nothing), then gets the lock back without the waiter burning the CPU.
/// Not recursive.
class YieldingLock {
 public:
  void lock() {
    for (uint32_t tries = 0; __atomic_test_and_set(&held_, __ATOMIC_ACQUIRE); ++tries) {
      if (tries < kYieldsBeforeSleeping) {
        yield();
      } else {
        (void)sleep_ns(kSleepNs);
      }
    }
  }
  void unlock() { __atomic_clear(&held_, __ATOMIC_RELEASE); }

 private:
  static constexpr uint32_t kYieldsBeforeSleeping = 64;
  static constexpr uint64_t kSleepNs = 1'000'000;  // ends at the next tick
  bool held_ = false;
};

/// Holds a YieldingLock for its scope.
class LockGuard {
 public:
  explicit LockGuard(YieldingLock& lock) : lock_(lock) { lock_.lock(); }
  ~LockGuard() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  YieldingLock& lock_;
};

}  // namespace atoll_os::user
