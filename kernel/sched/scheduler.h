// The scheduler: preemptive priority round robin over ready threads, with timeouts.
#pragma once

#include <stdint.h>

#include "object/thread.h"

namespace atoll_os::kernel {

inline constexpr uint32_t kTimeSliceTicks = 5;  // 50 ms at 100 Hz

/// Starts scheduling with `idle` as the thread that runs when nothing else can; switches
/// to the best ready thread and never returns.
[[noreturn]] void scheduler_start(Thread& idle);

namespace detail {
extern Thread* current;  // the running thread; read through current_thread()
}  // namespace detail

inline Thread& current_thread() {
  return *detail::current;
}
/// Makes a thread runnable: state kReady and, unless suspended, queued.
void make_ready(Thread& thread);
/// Takes a thread off the run queue if it is on it (suspend, kill).
void unqueue(Thread& thread);
/// Blocks the current thread in `state` until woken or, if `timeout_ns` is not kForever,
/// until the timeout passes (then ipc.result = -kTimedOut and `on_timeout` runs first to
/// unlink it from what it waited on). Returns the thread's ipc.result.
int64_t block_current(ThreadState state, uint64_t timeout_ns, void (*on_timeout)(Thread&));
/// Removes a pending timeout of `thread` (woken by its partner instead).
void cancel_timeout_slow(Thread& thread);
inline void cancel_timeout(Thread& thread) {
  if (thread.timeout_link.linked()) cancel_timeout_slow(thread);
}
namespace detail {
int highest_ready_priority();
}  // namespace detail

/// The IPC fastpath's hand-off: true if `next` (woken, not queued) may run now in place of
/// the current thread without overtaking a higher-priority ready thread.
inline bool can_switch_directly(const Thread& next) {
  return !next.suspended() && !next.run_link.linked() &&
         int(next.priority()) >= detail::highest_ready_priority();
}
/// Blocks the current thread in `state` and runs `next` at once, skipping the run queue;
/// only after can_switch_directly(next). Returns the current thread's ipc.result.
int64_t block_and_switch_to(ThreadState state, Thread& next);
/// Gives the CPU to the best ready thread (the current one goes to the back of its queue
/// if it is still ready).
void schedule();
/// Timer tick: wakes expired timeouts, charges the time slice, samples the load.
void scheduler_tick();

/// The load average's time constant (an exponential moving average sampled every tick).
inline constexpr uint32_t kLoadWindowMs = 2000;
/// Ready threads plus the running one (idle not counted), now and averaged (thousandths).
struct RunQueueLoad {
  uint32_t runnable;
  uint32_t average_milli;
};
RunQueueLoad run_queue_load();
/// Called on the way back to user mode (system call, interrupt, resolved fault): switches if
/// a better thread became ready, or stops the current one if its suspension is pending.
void preempt_if_needed();

/// Nanoseconds since the TSC was calibrated at boot.
uint64_t clock_ns();
uint64_t tsc_to_ns(uint64_t tsc);
/// Measures the TSC rate against the timer (interrupts enabled, takes ~50 ms).
void calibrate_tsc();

}  // namespace atoll_os::kernel
