// Deliberate crashes for the panic-path system tests.
#include "crash.h"

#include "log.h"
#include "panic.h"

namespace atoll_os::kernel {

[[gnu::noinline]] uint64_t trigger_page_fault() {
  return *reinterpret_cast<volatile uint64_t*>(kCrashFaultAddress);
}

[[gnu::noinline]] static uint64_t trigger_divide_error() {
  volatile uint64_t zero = 0;
  return 1 / zero;
}

bool trigger_crash(std::string_view kind) {
  log_warn("crash: triggering '%.*s' as the command line asked", int(kind.size()), kind.data());
  if (kind == "page_fault") return trigger_page_fault() != 0;
  if (kind == "divide") return trigger_divide_error() != 0;
  if (kind == "panic") panic("deliberate panic from the command line");
  return false;
}

}  // namespace atoll_os::kernel
