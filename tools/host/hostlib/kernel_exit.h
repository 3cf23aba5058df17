// Reading a QEMU exit status as the kernel's verdict (see atoll/debug_exit.h).
#pragma once

#include <optional>
#include <string>

#include "atoll/debug_exit.h"
#include "hostlib/process.h"

namespace atoll_os::host {

/// The ExitStatus QEMU ends with when the kernel writes `e` to the debug-exit port.
ExitStatus qemu_exit_status(KernelExit e);

/// The kernel's verdict if QEMU ended through the debug-exit port, else nullopt (killed,
/// QEMU error, triple fault).
std::optional<KernelExit> kernel_exit_of(const ExitStatus& status);

/// "exit status 35 (kernel: panic)"; statuses that are not a kernel verdict get a hint.
std::string describe_node_exit(const ExitStatus& status);

}  // namespace atoll_os::host
