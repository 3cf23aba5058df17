// The 16550 UART on COM1: polled output for the kernel log.
#include "arch/x86_64/serial.h"

#include "arch/x86_64/cpu.h"

namespace atoll_os::kernel::x86_64 {
namespace {

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint16_t kData = kCom1 + 0, kInterruptEnable = kCom1 + 1, kFifoControl = kCom1 + 2;
constexpr uint16_t kLineControl = kCom1 + 3, kModemControl = kCom1 + 4, kLineStatus = kCom1 + 5;
constexpr uint8_t kTransmitterEmpty = 0x20;
constexpr uint8_t kDivisorLatch = 0x80;

void put(char c) {
  while ((inb(kLineStatus) & kTransmitterEmpty) == 0) {
  }
  outb(kData, uint8_t(c));
}

}  // namespace

void serial_init() {
  outb(kInterruptEnable, 0x00);
  outb(kLineControl, kDivisorLatch);
  outb(kData, 0x01);  // divisor 1: 115200 baud
  outb(kInterruptEnable, 0x00);
  outb(kLineControl, 0x03);   // 8 data bits, no parity, one stop bit
  outb(kFifoControl, 0xc7);   // enable and clear FIFOs, 14-byte threshold
  outb(kModemControl, 0x03);  // DTR, RTS
}

void serial_write(const char* text, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    if (text[i] == '\n') put('\r');
    put(text[i]);
  }
}

}  // namespace atoll_os::kernel::x86_64
