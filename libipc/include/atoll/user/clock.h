// Time for user programs: the node's clock, the cycle counter and sleeping.
#pragma once

#include <stdint.h>

#include "atoll/result.h"

namespace atoll_os::user {

/// Nanoseconds since this node booted (clock_ns). A migrated process sees it jump.
uint64_t now_ns();

/// The time-stamp counter: cycles, or instructions under QEMU's -icount.
inline uint64_t read_tsc() {
  uint32_t low, high;
  asm volatile("rdtsc" : "=a"(low), "=d"(high));
  return (uint64_t{high} << 32) | low;
}

/// Blocks the calling thread for at least `duration_ns` of this node's time: a timed wait on
/// a private notification that nobody signals. Survives a migration in the middle: time on
/// the old node and on the new one add up, a jump of the clock between them does not count.
Result<void> sleep_ns(uint64_t duration_ns);

inline Result<void> sleep_ms(uint64_t duration_ms) {
  return sleep_ns(duration_ms * 1'000'000);
}

}  // namespace atoll_os::user
