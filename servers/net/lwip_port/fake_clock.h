// The clock lwIP reads in host unit tests (sys_arch_host.cpp): it stands still until a test
// moves it, so lwIP's timers fire exactly when the test says.
#pragma once

#include <stdint.h>

namespace atoll_os::servers::net::lwip_port {

/// Milliseconds that sys_now() returns.
uint32_t fake_now_ms();
/// Moves the clock forward; lwIP's timers run at the next sys_check_timeouts().
void advance_fake_clock_ms(uint32_t milliseconds);

}  // namespace atoll_os::servers::net::lwip_port
