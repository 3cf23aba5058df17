// Mapping between QEMU exit statuses and the kernel's debug-exit values.
#include "hostlib/kernel_exit.h"

namespace atoll_os::host {

ExitStatus qemu_exit_status(KernelExit e) {
  return {.exited = true, .code = qemu_status(e)};
}

std::optional<KernelExit> kernel_exit_of(const ExitStatus& status) {
  for (KernelExit e : {KernelExit::kSuccess, KernelExit::kPanic, KernelExit::kSelftestFailed}) {
    if (status == qemu_exit_status(e)) return e;
  }
  return std::nullopt;
}

std::string describe_node_exit(const ExitStatus& status) {
  if (auto e = kernel_exit_of(status)) {
    return status.describe() + " (kernel: " + kernel_exit_name(*e) + ")";
  }
  if (status.exited && status.code == 0) {
    return status.describe() + " (no kernel verdict: triple fault or guest power-off)";
  }
  if (status.exited && status.code == 1) return status.describe() + " (QEMU error)";
  return status.describe();
}

}  // namespace atoll_os::host
