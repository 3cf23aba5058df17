// Kernel panic: report, backtrace with symbol names, and power off with the panic code.
#pragma once

#include "lib/symbol_table.h"

namespace atoll_os::kernel {

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// The symbol map used to name functions in backtraces (the `kernel.sym` boot module).
void set_kernel_symbols(SymbolTable symbols);
const SymbolTable& kernel_symbols();

/// Prints "  #N 0xADDR name+0xOFF" for `rip`, then for each return address on the rbp chain.
/// `stack_pointer`, if not 0, is the rsp at `rip`: when the function there set up no frame
/// (GCC omits it in leaf functions that need no stack), its return address is read there.
void print_backtrace(uint64_t rip, uint64_t rbp, uint64_t stack_pointer = 0);

#define ATOLL_ASSERT(condition)                                                                   \
  ((condition) ? (void)0                                                                          \
               : ::atoll_os::kernel::panic("assertion failed: %s at %s:%d", #condition, __FILE__, \
                                           __LINE__))

}  // namespace atoll_os::kernel
