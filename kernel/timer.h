// The periodic kernel timer: a tick count, uptime, and a hook run on every tick.
#pragma once

#include <stdint.h>

namespace atoll_os::kernel {

inline constexpr uint32_t kTimerHz = 100;

/// Starts the periodic tick; interrupts must be enabled afterwards for it to run.
void timer_init();
uint64_t timer_ticks();
uint64_t uptime_ms();
/// Logs "timer: tick N" every `interval` ticks (0: never).
void timer_set_log_interval(uint32_t interval);
/// Halts until the tick count reaches `tick`. Interrupts must be enabled.
void timer_wait_until(uint64_t tick);

}  // namespace atoll_os::kernel
