// A notification: a word of signal bits that threads wait on (IRQs, timers, wake-ups).
#pragma once

#include "object/kernel_object.h"
#include "object/thread.h"

namespace atoll_os::kernel {

class Notification final : public KernelObject {
 public:
  static Result<Notification*> create();

  /// ORs `bits` in and wakes the first waiter with them (which clears them). Callable
  /// from interrupt handlers.
  void signal(uint64_t bits);
  /// Returns the pending bits (clearing them), or blocks the current thread until some
  /// arrive or the timeout passes.
  int64_t wait(Thread& waiter, uint64_t timeout_ns, uint64_t& bits_out);
  void unlink(Thread& thread);

 private:
  Notification() : KernelObject(abi::ObjectType::kNotification) {}
  IntrusiveList<Thread, &Thread::wait_link> waiters_;
  uint64_t pending_ = 0;
};

}  // namespace atoll_os::kernel
