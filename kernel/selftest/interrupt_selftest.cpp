// Self-tests of exception handling and the timer: a trap that returns, and ticks that advance.
#include "arch/x86_64/idt.h"
#include "selftest/selftest.h"
#include "timer.h"

namespace atoll_os::kernel {
namespace {

volatile int breakpoints_seen = 0;

void count_breakpoint(x86_64::InterruptFrame&) {
  breakpoints_seen = breakpoints_seen + 1;
}

const char* breakpoint_returns() {
  x86_64::set_interrupt_handler(x86_64::kBreakpointVector, count_breakpoint);
  asm volatile("int3");
  asm volatile("int3");
  x86_64::set_interrupt_handler(x86_64::kBreakpointVector, nullptr);
  SELFTEST_EXPECT(breakpoints_seen == 2);
  return nullptr;
}

const char* timer_advances() {
  uint64_t start = timer_ticks();
  timer_wait_until(start + 5);
  SELFTEST_EXPECT(timer_ticks() >= start + 5);
  SELFTEST_EXPECT(uptime_ms() >= (start + 5) * 1000 / kTimerHz);
  return nullptr;
}

constexpr SelfTest kTests[] = {
    {"breakpoint_returns", breakpoint_returns},
    {"timer_advances", timer_advances},
};

}  // namespace

std::span<const SelfTest> interrupt_selftests() {
  return kTests;
}

}  // namespace atoll_os::kernel
