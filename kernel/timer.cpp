// The periodic kernel timer, driven by the PIT on IRQ 0.
#include "timer.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/pit.h"
#include "log.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

volatile uint64_t ticks = 0;
uint32_t log_interval = 0;

void on_tick(x86_64::InterruptFrame&) {
  uint64_t now = ticks + 1;
  ticks = now;
  x86_64::pic_end_of_interrupt(x86_64::kPitIrq);
  if (log_interval != 0 && now % log_interval == 0) log_info("timer: tick %lu", now);
  scheduler_tick();
}

}  // namespace

void timer_init() {
  x86_64::set_interrupt_handler(x86_64::kIrqBase + x86_64::kPitIrq, on_tick);
  x86_64::pit_start(kTimerHz);
  x86_64::pic_unmask(x86_64::kPitIrq);
}

uint64_t timer_ticks() {
  return ticks;
}
uint64_t uptime_ms() {
  return ticks * 1000 / kTimerHz;
}
void timer_set_log_interval(uint32_t interval) {
  log_interval = interval;
}

void timer_wait_until(uint64_t tick) {
  while (ticks < tick) x86_64::enable_interrupts_and_halt();
}

}  // namespace atoll_os::kernel
