// The scheduler: run queues, context switches, time slices, timeouts and CPU accounting.
#include "sched/scheduler.h"

#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "object/task.h"
#include "panic.h"
#include "sched/run_queues.h"
#include "timer.h"

namespace atoll_os::kernel {

Thread* detail::current = nullptr;  // holds a reference

namespace {

using detail::current;

RunQueues<Thread> ready;
IntrusiveList<Thread, &Thread::timeout_link> timeouts;  // sorted by deadline_ns
Thread* idle = nullptr;
Thread* pending_release = nullptr;  // the thread switched away from, released on the new stack
bool need_reschedule = false;
uint64_t last_switch_tsc = 0;
uint64_t boot_tsc = 0;
uint64_t tsc_hz = 1'000'000'000;  // replaced by calibrate_tsc()
// The load average in units of 1/kLoadScale: fine enough that a step of (sample - average) /
// window never truncates to zero while the two differ by a thousandth.
constexpr uint64_t kLoadScale = 1u << 20;
uint64_t load_average = 0;

uint32_t runnable_now() {
  return ready.size() + (current != nullptr && current != idle ? 1 : 0);
}

// One tick's step of the moving average: average += (sample - average) / window_ticks.
void sample_load() {
  constexpr uint64_t kWindowTicks = uint64_t{kLoadWindowMs} * kTimerHz / 1000;
  uint64_t sample = uint64_t{runnable_now()} * kLoadScale;
  if (sample >= load_average) {
    load_average += (sample - load_average) / kWindowTicks;
  } else {
    load_average -= (load_average - sample) / kWindowTicks;
  }
}

void finish_switch() {
  if (Thread* t = pending_release) {
    pending_release = nullptr;
    t->release();
  }
}

// Inlined: it is on every switch, the IPC fastpath's hand-off included.
[[gnu::always_inline]] inline void load_context_of(Thread& next) {
  if (!next.is_user()) return;
  x86_64::fpu_restore(next.fpu_state());
  x86_64::load_user_segment_bases(next.fs_base, next.gs_base);
  x86_64::set_kernel_stack(next.kernel_stack_top());
  x86_64::set_syscall_stack(next.kernel_stack_top());
  uint64_t root = next.task()->page_table().root();
  if (x86_64::read_cr3() != root) x86_64::write_cr3(root);
}

void switch_to(Thread& next) {
  finish_switch();
  Thread* previous = current;
  if (previous == &next) return;
  uint64_t now = x86_64::read_tsc();
  previous->cpu_tsc += now - last_switch_tsc;
  last_switch_tsc = now;
  if (previous->is_user()) x86_64::fpu_save(previous->fpu_state());
  load_context_of(next);
  next.retain();
  next.slice_left = kTimeSliceTicks;
  ++next.switches;
  current = &next;
  pending_release = previous;
  x86_64::switch_context(&previous->saved_kernel_rsp, next.saved_kernel_rsp);
  finish_switch();  // back in `previous`, switched to by someone else
}

// Deadlines are in clock_ns() time, checked on each tick: a timeout may end up to a tick
// late but never early, even when a loaded host delivers timer ticks in bursts.
void add_timeout(Thread& t, uint64_t timeout_ns) {
  uint64_t now = clock_ns();
  t.deadline_ns = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
  for (Thread* other = timeouts.front(); other; other = timeouts.next(*other)) {
    if (other->deadline_ns > t.deadline_ns) {
      timeouts.insert_before(*other, t);
      return;
    }
  }
  timeouts.push_back(t);
}

}  // namespace

void make_ready(Thread& thread) {
  thread.set_state(ThreadState::kReady);
  if (thread.suspended() || &thread == current || thread.run_link.linked()) return;
  ready.enqueue(thread);
  if (current && thread.priority() > current->priority()) need_reschedule = true;
}

void unqueue(Thread& thread) {
  if (thread.run_link.linked()) ready.remove(thread);
}

void cancel_timeout_slow(Thread& thread) {
  timeouts.remove(thread);
}

int64_t block_current(ThreadState state, uint64_t timeout_ns, void (*on_timeout)(Thread&)) {
  Thread& t = *current;
  t.set_state(state);
  t.ipc.result = 0;
  if (timeout_ns != abi::kForever) {
    t.on_timeout = on_timeout;
    add_timeout(t, timeout_ns);
  }
  schedule();
  return t.ipc.result;
}

int detail::highest_ready_priority() {
  return ready.highest();
}

int64_t block_and_switch_to(ThreadState state, Thread& next) {
  Thread& self = *current;
  self.set_state(state);
  self.ipc.result = 0;
  next.set_state(ThreadState::kReady);
  need_reschedule = false;
  switch_to(next);
  return self.ipc.result;
}

void schedule() {
  need_reschedule = false;
  Thread& self = *current;
  if (&self != idle && self.state() == ThreadState::kReady && !self.suspended()) {
    ready.enqueue(self);
  }
  Thread* next = ready.pick();
  switch_to(next ? *next : *idle);
}

RunQueueLoad run_queue_load() {
  return {runnable_now(), uint32_t(load_average * 1000 / kLoadScale)};
}

void scheduler_tick() {
  if (current == nullptr) return;
  sample_load();
  uint64_t now = clock_ns();
  while (Thread* t = timeouts.front()) {
    if (t->deadline_ns > now) break;
    timeouts.remove(*t);
    if (t->on_timeout) t->on_timeout(*t);
    t->ipc.result = -int64_t(Error::kTimedOut);
    make_ready(*t);
  }
  if (current == idle) {
    need_reschedule = need_reschedule || !ready.empty();
  } else if (current->slice_left == 0 || --current->slice_left == 0) {
    need_reschedule = need_reschedule || ready.highest() >= current->priority();
    if (!need_reschedule) current->slice_left = kTimeSliceTicks;  // nobody to share with
  }
}

namespace {

// Out of line, so that the common case of preempt_if_needed stays a few tests and a jump.
[[gnu::noinline]] void switch_at_user_boundary() {
  Thread& self = *current;
  self.stop_if_pending();  // every caller is on its way back to user mode
  self.at_user_boundary = true;
  schedule();
  self.at_user_boundary = false;
}

}  // namespace

void preempt_if_needed() {
  if (current == nullptr) return;
  bool stopped = current->state() != ThreadState::kReady || current->stop_requested();
  if (need_reschedule || stopped) switch_at_user_boundary();
}

void scheduler_start(Thread& idle_thread) {
  idle = &idle_thread;
  idle_thread.set_state(ThreadState::kReady);
  Thread* next = ready.pick();
  if (next == nullptr) next = idle;
  load_context_of(*next);
  next->retain();  // the current thread's reference
  next->slice_left = kTimeSliceTicks;
  ++next->switches;
  current = next;
  last_switch_tsc = x86_64::read_tsc();
  uint64_t boot_stack_rsp;  // the boot stack is abandoned here
  x86_64::switch_context(&boot_stack_rsp, next->saved_kernel_rsp);
  panic("scheduler: returned to the boot stack");
}

uint64_t tsc_to_ns(uint64_t tsc) {
  return uint64_t((unsigned __int128)tsc * 1'000'000'000 / tsc_hz);
}

uint64_t clock_ns() {
  return tsc_to_ns(x86_64::read_tsc() - boot_tsc);
}

void calibrate_tsc() {
  constexpr uint64_t kTicks = 5;
  uint64_t start_tick = timer_ticks() + 1;
  timer_wait_until(start_tick);
  uint64_t start = x86_64::read_tsc();
  timer_wait_until(start_tick + kTicks);
  uint64_t elapsed = x86_64::read_tsc() - start;
  tsc_hz = elapsed * kTimerHz / kTicks;
  if (tsc_hz == 0) tsc_hz = 1;
  boot_tsc = start - elapsed * start_tick / kTicks;  // extrapolated back to tick 0
}

}  // namespace atoll_os::kernel
