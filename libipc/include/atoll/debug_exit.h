// How the kernel ends a QEMU run: the isa-debug-exit port and the values written to it.
#pragma once

#include <stdint.h>

namespace atoll_os {

/// I/O port of QEMU's isa-debug-exit device (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
inline constexpr uint16_t kDebugExitPort = 0xf4;

/// Values the kernel writes to kDebugExitPort. None is 0, because QEMU already exits with
/// status 0 for a triple fault under -no-reboot and the host must tell those apart.
enum class KernelExit : uint8_t {
  kSuccess = 0x10,         // boot (or the requested run) finished normally
  kPanic = 0x11,           // the kernel panicked
  kSelftestFailed = 0x12,  // `selftest` ran and at least one test failed
};

/// The exit status QEMU reports for a value written to the port: (value << 1) | 1.
constexpr int qemu_status(KernelExit e) {
  return (static_cast<int>(e) << 1) | 1;
}

static_assert(qemu_status(KernelExit::kSuccess) == 33);
static_assert(qemu_status(KernelExit::kPanic) == 35);
static_assert(qemu_status(KernelExit::kSelftestFailed) == 37);

/// A short, stable name for logs and test messages.
constexpr const char* kernel_exit_name(KernelExit e) {
  switch (e) {
    case KernelExit::kSuccess: return "success";
    case KernelExit::kPanic: return "panic";
    case KernelExit::kSelftestFailed: return "selftest_failed";
  }
  return "unknown";
}

}  // namespace atoll_os
