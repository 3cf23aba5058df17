// Notifications: pending bits, delivered to one waiter at a time.
#include "object/notification.h"

#include <new>

#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

void unlink_on_timeout(Thread& t) {
  if (t.ipc.notification) t.ipc.notification->unlink(t);
}

}  // namespace

Result<Notification*> Notification::create() {
  auto* n = new (std::nothrow) Notification;
  if (n == nullptr) return Err(Error::kOutOfMemory);
  return n;
}

void Notification::signal(uint64_t bits) {
  pending_ |= bits;
  if (pending_ == 0 || waiters_.empty()) return;
  Thread* waiter = waiters_.pop_front();
  waiter->ipc.notification = nullptr;
  cancel_timeout(*waiter);
  waiter->ipc.result = 0;
  waiter->ipc.notified_bits = pending_;
  pending_ = 0;
  make_ready(*waiter);
  release();  // the waiter's reference
}

int64_t Notification::wait(Thread& waiter, uint64_t timeout_ns, uint64_t& bits_out) {
  if (pending_ != 0 || timeout_ns == 0) {
    bits_out = pending_;
    pending_ = 0;
    return bits_out != 0 ? 0 : -int64_t(Error::kTimedOut);
  }
  retain();
  waiter.ipc.notification = this;
  waiters_.push_back(waiter);
  int64_t result = block_current(ThreadState::kBlockedNotification, timeout_ns, unlink_on_timeout);
  // The notification may be gone now (its waiter's reference was the last): no member access.
  if (result < 0) return result;
  bits_out = waiter.ipc.notified_bits;
  return 0;
}

void Notification::unlink(Thread& thread) {
  if (thread.ipc.notification != this) return;
  waiters_.remove(thread);
  thread.ipc.notification = nullptr;
  release();
}

}  // namespace atoll_os::kernel
