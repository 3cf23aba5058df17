// 16550 register access for ctl.
#include "uart.h"

#include "atoll/port_io.h"
#include "atoll/user/clock.h"

namespace atoll_os::servers::ctl {
namespace {

// Register offsets from the base port.
constexpr uint16_t kData = 0;             // RBR / THR; divisor low with DLAB
constexpr uint16_t kInterruptEnable = 1;  // divisor high with DLAB
constexpr uint16_t kFifoControl = 2;
constexpr uint16_t kLineControl = 3;
constexpr uint16_t kModemControl = 4;
constexpr uint16_t kLineStatus = 5;
constexpr uint16_t kScratch = 7;

constexpr uint8_t kLineStatusDataReady = 1u << 0;
constexpr uint8_t kLineStatusTransmitterEmpty = 1u << 5;

// QEMU takes a byte at once unless the host has stopped reading the socket; then it holds
// the transmitter back until the host reads. Polling on through that would keep every
// thread of ctl's priority waiting for the end of ctl's time slice and starve every lower
// one, so after a few polls the writer sleeps a tick between polls.
constexpr uint32_t kPollsBeforeSleeping = 256;
constexpr uint64_t kHeldBackSleepMs = 1;

using port_io::inb;
using port_io::outb;

}  // namespace

bool Uart::present() const {
  for (uint8_t probe : {uint8_t{0x5a}, uint8_t{0xa5}}) {
    outb(base_ + kScratch, probe);
    if (inb(base_ + kScratch) != probe) return false;
  }
  return true;
}

void Uart::configure() const {
  outb(base_ + kInterruptEnable, 0x00);
  outb(base_ + kLineControl, 0x80);  // DLAB: the next two registers are the divisor
  outb(base_ + kData, 0x01);         // 115200 / 1
  outb(base_ + kInterruptEnable, 0x00);
  outb(base_ + kLineControl, 0x03);   // 8 data bits, no parity, 1 stop bit
  outb(base_ + kFifoControl, 0xc7);   // FIFOs on and cleared, interrupt at 14 bytes
  outb(base_ + kModemControl, 0x0b);  // DTR, RTS, OUT2
  outb(base_ + kInterruptEnable, 0x01);
}

bool Uart::read(char* c) const {
  if (!(inb(base_ + kLineStatus) & kLineStatusDataReady)) return false;
  *c = static_cast<char>(inb(base_ + kData));
  return true;
}

void Uart::write(std::string_view text) const {
  for (char c : text) {
    wait_for_transmitter();
    outb(base_ + kData, static_cast<uint8_t>(c));
  }
}

void Uart::wait_for_transmitter() const {
  for (uint32_t polls = 0; !(inb(base_ + kLineStatus) & kLineStatusTransmitterEmpty); ++polls) {
    if (polls >= kPollsBeforeSleeping) (void)user::sleep_ms(kHeldBackSleepMs);
  }
}

}  // namespace atoll_os::servers::ctl
