// The lock over mm's space table, shared by the main loop and the migration threads.
#pragma once

#include "atoll/user/syscalls.h"

namespace atoll_os::servers::mm {

/// A test-and-set lock whose waiters block on a notification instead of yielding: the main
/// loop runs above the migration threads, and a yielding waiter of higher priority would
/// never let a preempted holder of lower priority run again. Not recursive. Holders make no
/// blocking call while they hold it.
class SpaceLock {
 public:
  /// `notification`: a notification of this task used for nothing else.
  explicit SpaceLock(abi::Handle notification) : notification_(notification) {}

  void lock() {
    while (__atomic_test_and_set(&held_, __ATOMIC_SEQ_CST)) {
      __atomic_add_fetch(&waiters_, 1, __ATOMIC_SEQ_CST);
      // The holder reads waiters_ after clearing held_: either it sees us and signals, or
      // we see held_ clear here. The timeout is a second line only.
      if (__atomic_load_n(&held_, __ATOMIC_SEQ_CST)) {
        (void)user::notification_wait(notification_, kWaitNs);
      }
      __atomic_sub_fetch(&waiters_, 1, __ATOMIC_SEQ_CST);
    }
  }
  void unlock() {
    __atomic_clear(&held_, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&waiters_, __ATOMIC_SEQ_CST) != 0) {
      (void)user::notification_signal(notification_, 1);
    }
  }

 private:
  static constexpr uint64_t kWaitNs = 1'000'000;

  abi::Handle notification_;
  bool held_ = false;
  uint32_t waiters_ = 0;
};

/// Holds a SpaceLock for its scope.
class SpaceGuard {
 public:
  explicit SpaceGuard(SpaceLock& lock) : lock_(lock) { lock_.lock(); }
  ~SpaceGuard() { lock_.unlock(); }
  SpaceGuard(const SpaceGuard&) = delete;
  SpaceGuard& operator=(const SpaceGuard&) = delete;

 private:
  SpaceLock& lock_;
};

}  // namespace atoll_os::servers::mm
