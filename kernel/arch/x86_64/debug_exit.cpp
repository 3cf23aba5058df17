// Powering the node off through QEMU's isa-debug-exit device.
#include "arch/x86_64/debug_exit.h"

#include "arch/x86_64/cpu.h"

namespace atoll_os::kernel::x86_64 {

void power_off(KernelExit code) {
  disable_interrupts();
  outl(kDebugExitPort, uint32_t(code));
  for (;;) halt();  // not under QEMU with the device: stay stopped
}

}  // namespace atoll_os::kernel::x86_64
