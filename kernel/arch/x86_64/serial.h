// The 16550 UART on COM1: the kernel console.
#pragma once

#include <stddef.h>

namespace atoll_os::kernel::x86_64 {

/// Programs COM1 for 115200 baud, 8N1, FIFOs on, no interrupts (output is polled).
void serial_init();
/// Writes `length` bytes, turning "\n" into "\r\n".
void serial_write(const char* text, size_t length);

}  // namespace atoll_os::kernel::x86_64
