// now_ns and sleep_ns: the node clock and timed waits on a private notification.
#include "atoll/user/clock.h"

#include "atoll/user/syscalls.h"

namespace atoll_os::user {
namespace {

// The notification sleep_ns waits on; created on first use. Nobody ever signals it.
abi::Handle sleep_notification = abi::kNoHandle;

Result<abi::Handle> get_sleep_notification() {
  abi::Handle existing = __atomic_load_n(&sleep_notification, __ATOMIC_ACQUIRE);
  if (existing != abi::kNoHandle) return existing;
  abi::Handle created = TRY(notification_create());
  // Two threads may race to create it: the loser closes its own and uses the winner's.
  if (__atomic_compare_exchange_n(&sleep_notification, &existing, created, false, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE)) {
    return created;
  }
  (void)handle_close(created);
  return existing;
}

}  // namespace

uint64_t now_ns() {
  return clock_ns();
}

// Counts elapsed time in steps between clock readings rather than against a deadline: the
// clock is per node, and a process that migrates mid-sleep must neither sleep for hours
// (the new node booted later) nor add the whole difference (it booted earlier) twice.
// A backwards step counts as nothing; a forward jump may end the sleep early, once.
Result<void> sleep_ns(uint64_t duration_ns) {
  abi::Handle notification = TRY(get_sleep_notification());
  uint64_t remaining = duration_ns;
  uint64_t last = clock_ns();
  while (remaining > 0) {
    auto woken = notification_wait(notification, remaining);
    if (!woken.ok() && woken.error() != Error::kTimedOut) return Err(woken.error());
    uint64_t now = clock_ns();
    uint64_t step = now >= last ? now - last : 0;
    last = now;
    remaining = step >= remaining ? 0 : remaining - step;
  }
  return success();
}

}  // namespace atoll_os::user
