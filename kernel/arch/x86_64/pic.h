// The legacy 8259 interrupt controllers: remapped above the exceptions, masked per line.
#pragma once

#include <stdint.h>

namespace atoll_os::kernel::x86_64 {

/// Remaps IRQ 0-15 to vectors kIrqBase..kIrqBase+15 and masks every line.
void pic_init();
void pic_unmask(uint8_t irq);
void pic_mask(uint8_t irq);
/// Acknowledges `irq` so the controller delivers the next one.
void pic_end_of_interrupt(uint8_t irq);

}  // namespace atoll_os::kernel::x86_64
