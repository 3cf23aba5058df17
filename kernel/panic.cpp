// Kernel panic and backtraces: the last thing a failing kernel says, so it must not fault.
#include "panic.h"

#include <stdarg.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/debug_exit.h"
#include "arch/x86_64/kernel_address_space.h"
#include "arch/x86_64/memory_layout.h"
#include "lib/format.h"
#include "log.h"

namespace atoll_os::kernel {
namespace {

constexpr int kMaxFrames = 32;
SymbolTable symbols;
bool panicking = false;

void print_frame(int index, uint64_t address) {
  auto location = symbols.lookup(address);
  if (location.ok()) {
    log_raw("  #%d 0x%016lx %.*s+0x%lx\n", index, address, int(location->name.size()),
            location->name.data(), location->offset);
  } else {
    log_raw("  #%d 0x%016lx ?\n", index, address);
  }
}

// A frame pointer is followed only if it lies in kernel memory and is aligned: the chain
// of a corrupted stack must end the backtrace, not fault inside the panic.
// Thread stacks come from the heap, which lives in the direct map.
bool plausible_frame(uint64_t rbp) {
  if (rbp % 8 != 0) return false;
  uint64_t image_start = reinterpret_cast<uint64_t>(__kernel_image_start);
  uint64_t image_end = reinterpret_cast<uint64_t>(__kernel_image_end);
  bool in_image = rbp >= image_start && rbp + 16 <= image_end;
  auto mapped = x86_64::kernel_page_table().translate(rbp);
  bool in_direct_map = rbp >= x86_64::kDirectMapBase && rbp < image_start && mapped.ok() &&
                       x86_64::kernel_page_table().translate(rbp + 8).ok();
  return in_image || in_direct_map;
}

// True if the function containing `rip` begins with `push %rbp` (optionally after endbr64)
// and `rip` is past it, so that rbp already points at this function's own frame.
bool has_own_frame(uint64_t rip) {
  auto location = symbols.lookup(rip);
  if (!location.ok()) return true;  // unknown code: trust the rbp chain
  auto* start = reinterpret_cast<const uint8_t*>(rip - location->offset);
  size_t prologue = 0;
  if (start[0] == 0xf3 && start[1] == 0x0f && start[2] == 0x1e && start[3] == 0xfa) prologue = 4;
  return start[prologue] == 0x55 && location->offset > prologue + 3;  // push; mov %rsp,%rbp
}

}  // namespace

void set_kernel_symbols(SymbolTable table) {
  symbols = table;
}
const SymbolTable& kernel_symbols() {
  return symbols;
}

void print_backtrace(uint64_t rip, uint64_t rbp, uint64_t stack_pointer) {
  log_raw("backtrace:\n");
  print_frame(0, rip);
  int first = 1;
  if (stack_pointer != 0 && plausible_frame(stack_pointer) && !has_own_frame(rip)) {
    print_frame(first++, *reinterpret_cast<const uint64_t*>(stack_pointer) - 1);
  }
  for (int i = first; i < kMaxFrames && plausible_frame(rbp); ++i) {
    auto* frame = reinterpret_cast<const uint64_t*>(rbp);
    uint64_t return_address = frame[1];
    if (return_address == 0) break;
    print_frame(i, return_address - 1);  // the call instruction, not the one after it
    rbp = frame[0];
  }
}

void panic(const char* fmt, ...) {
  x86_64::disable_interrupts();
  if (panicking) x86_64::power_off(KernelExit::kPanic);  // a panic inside the panic
  panicking = true;
  char message[256];
  va_list args;
  va_start(args, fmt);
  vformat(message, sizeof(message), fmt, args);
  va_end(args);
  log_raw("\nKERNEL PANIC: %s\n", message);
  // Start at our caller: its call site, and the frame pointer it saved in our frame.
  uint64_t caller_rbp = *static_cast<uint64_t*>(__builtin_frame_address(0));
  print_backtrace(reinterpret_cast<uint64_t>(__builtin_return_address(0)) - 1, caller_rbp);
  x86_64::power_off(KernelExit::kPanic);
}

}  // namespace atoll_os::kernel
