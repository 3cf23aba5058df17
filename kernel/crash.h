// Deliberate crashes selected on the command line (`crash=...`), to test the panic path.
#pragma once

#include <stdint.h>

#include <string_view>

namespace atoll_os::kernel {

inline constexpr uint64_t kCrashFaultAddress = 0xdead0000;

/// Reads the unmapped address kCrashFaultAddress: the page-fault panic must name it and
/// this function.
uint64_t trigger_page_fault();

/// Runs the crash named by `kind` ("page_fault", "panic", "divide"); returns false if
/// `kind` names none.
bool trigger_crash(std::string_view kind);

}  // namespace atoll_os::kernel
