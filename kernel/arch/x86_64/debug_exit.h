// Powering the node off through QEMU's isa-debug-exit device, with an exit code for the host.
#pragma once

#include "atoll/debug_exit.h"

namespace atoll_os::kernel::x86_64 {

/// Ends QEMU with status (code << 1) | 1. If the device is absent, halts forever.
[[noreturn]] void power_off(KernelExit code);

}  // namespace atoll_os::kernel::x86_64
