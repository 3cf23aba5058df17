// The IDT: every vector goes to one dispatcher, which calls the registered handler.
#pragma once

#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"

namespace atoll_os::kernel::x86_64 {

inline constexpr uint8_t kIrqBase = 32;  // legacy IRQ n arrives as vector kIrqBase + n
inline constexpr uint8_t kBreakpointVector = 3;
inline constexpr uint8_t kPageFaultVector = 14;

using InterruptHandler = void (*)(InterruptFrame& frame);

/// Fills and loads the IDT: exceptions panic unless a handler is registered.
void idt_init();
/// Routes `vector` to `handler` (nullptr restores the default).
void set_interrupt_handler(uint8_t vector, InterruptHandler handler);

/// "page fault", "general protection fault", ...
const char* exception_name(uint64_t vector);

/// Prints what the CPU reported (vector name, error code, registers, CR2, backtrace) and
/// powers the node off with the panic code.
[[noreturn]] void panic_on_exception(const InterruptFrame& frame);

}  // namespace atoll_os::kernel::x86_64
