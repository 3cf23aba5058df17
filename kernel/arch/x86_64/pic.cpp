// The legacy 8259 interrupt controllers.
#include "arch/x86_64/pic.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"

namespace atoll_os::kernel::x86_64 {
namespace {

constexpr uint16_t kPrimaryCommand = 0x20, kPrimaryData = 0x21;
constexpr uint16_t kSecondaryCommand = 0xa0, kSecondaryData = 0xa1;
constexpr uint8_t kInit = 0x11;  // ICW1: initialise, ICW4 follows
constexpr uint8_t kMode8086 = 0x01;
constexpr uint8_t kEndOfInterrupt = 0x20;
constexpr uint8_t kCascadeIrq = 2;

uint16_t mask = 0xffff;

void write_mask() {
  outb(kPrimaryData, uint8_t(mask));
  outb(kSecondaryData, uint8_t(mask >> 8));
}

}  // namespace

void pic_init() {
  outb(kPrimaryCommand, kInit);
  outb(kSecondaryCommand, kInit);
  outb(kPrimaryData, kIrqBase);
  outb(kSecondaryData, kIrqBase + 8);
  outb(kPrimaryData, 1 << kCascadeIrq);  // secondary hangs off IRQ 2
  outb(kSecondaryData, kCascadeIrq);
  outb(kPrimaryData, kMode8086);
  outb(kSecondaryData, kMode8086);
  mask = uint16_t(~(1u << kCascadeIrq));
  write_mask();
}

void pic_unmask(uint8_t irq) {
  mask = uint16_t(mask & ~(1u << irq));
  write_mask();
}

void pic_mask(uint8_t irq) {
  mask = uint16_t(mask | (1u << irq));
  write_mask();
}

void pic_end_of_interrupt(uint8_t irq) {
  if (irq >= 8) outb(kSecondaryCommand, kEndOfInterrupt);
  outb(kPrimaryCommand, kEndOfInterrupt);
}

}  // namespace atoll_os::kernel::x86_64
