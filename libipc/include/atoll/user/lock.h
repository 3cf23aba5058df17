// A mutual-exclusion lock for threads of one task that yields the CPU while it waits.
#pragma once

#include "atoll/user/syscalls.h"

namespace atoll_os::user {

/// A test-and-set lock. A node has one CPU and the holder may have been preempted, so a
/// waiter gives up its time slice instead of spinning. Not recursive.
class YieldingLock {
 public:
  void lock() {
    while (__atomic_test_and_set(&held_, __ATOMIC_ACQUIRE)) yield();
  }
  void unlock() { __atomic_clear(&held_, __ATOMIC_RELEASE); }

 private:
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
