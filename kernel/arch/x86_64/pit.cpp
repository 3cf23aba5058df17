// The 8254 programmable interval timer.
#include "arch/x86_64/pit.h"

#include "arch/x86_64/cpu.h"

namespace atoll_os::kernel::x86_64 {
namespace {

constexpr uint32_t kInputHz = 1193182;
constexpr uint16_t kChannel0 = 0x40, kCommand = 0x43;
constexpr uint8_t kChannel0RateGenerator = 0x34;  // channel 0, low then high byte, mode 2

}  // namespace

void pit_start(uint32_t hz) {
  uint32_t divisor = kInputHz / hz;
  if (divisor > 0xffff) divisor = 0xffff;
  outb(kCommand, kChannel0RateGenerator);
  outb(kChannel0, uint8_t(divisor));
  outb(kChannel0, uint8_t(divisor >> 8));
}

}  // namespace atoll_os::kernel::x86_64
