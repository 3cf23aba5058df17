// The 8254 programmable interval timer: the periodic tick on IRQ 0.
#pragma once

#include <stdint.h>

namespace atoll_os::kernel::x86_64 {

inline constexpr uint8_t kPitIrq = 0;

/// Programs channel 0 as a rate generator at `hz` ticks per second.
void pit_start(uint32_t hz);

}  // namespace atoll_os::kernel::x86_64
