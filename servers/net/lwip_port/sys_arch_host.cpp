// lwIP's platform functions in host unit tests: a fake clock the test advances, diagnostics
// on stderr, abort() on a failed assertion, and a fixed random sequence (repeatable runs).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_clock.h"
#include "lwip/sys.h"

namespace atoll_os::servers::net::lwip_port {
namespace {

// Starts away from zero so that a timestamp of 0 never looks special.
uint32_t now_ms = 1000;
uint32_t rand_state = 0x2545f491;

}  // namespace

uint32_t fake_now_ms() {
  return now_ms;
}

void advance_fake_clock_ms(uint32_t milliseconds) {
  now_ms += milliseconds;
}

}  // namespace atoll_os::servers::net::lwip_port

using atoll_os::servers::net::lwip_port::fake_now_ms;
using atoll_os::servers::net::lwip_port::rand_state;

extern "C" {

u32_t sys_now(void) {
  return fake_now_ms();
}

void atoll_lwip_diag(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
}

void atoll_lwip_assert(const char* message, const char* file, int line) {
  fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", message, file, line);
  abort();
}

uint32_t atoll_lwip_rand(void) {
  rand_state ^= rand_state << 13;
  rand_state ^= rand_state >> 17;
  rand_state ^= rand_state << 5;
  return rand_state;
}

}  // extern "C"
