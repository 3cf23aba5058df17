// lwIP's platform functions on a node: its clock, diagnostics and assertions through the
// user runtime (the net server links this; the host tests link sys_arch_host.cpp).
#include <stdarg.h>

#include "atoll/user/clock.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "lwip/sys.h"

namespace {

// xorshift32 state, seeded from the cycle counter on first use; zero means unseeded.
uint32_t rand_state = 0;

}  // namespace

extern "C" {

// lwIP's timers count milliseconds in 32 bits and compare them modulo 2^32, so the
// truncation after ~49 days of uptime is harmless.
u32_t sys_now(void) {
  return static_cast<u32_t>(atoll_os::user::now_ns() / 1'000'000);
}

void atoll_lwip_diag(const char* format, ...) {
  va_list args;
  va_start(args, format);
  atoll_os::user::vprint(format, args);
  va_end(args);
}

void atoll_lwip_assert(const char* message, const char* file, int line) {
  atoll_os::user::print("lwIP assertion \"%s\" failed at %s:%d\n", message, file, line);
  atoll_os::user::fatal("lwIP assertion failed");
}

uint32_t atoll_lwip_rand(void) {
  while (rand_state == 0) rand_state = static_cast<uint32_t>(atoll_os::user::read_tsc());
  rand_state ^= rand_state << 13;
  rand_state ^= rand_state >> 17;
  rand_state ^= rand_state << 5;
  return rand_state;
}

}  // extern "C"
