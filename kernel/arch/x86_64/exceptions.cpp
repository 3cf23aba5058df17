// CPU exceptions without a handler become a readable panic: what, where, registers, backtrace.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/debug_exit.h"
#include "arch/x86_64/idt.h"
#include "log.h"
#include "panic.h"

namespace atoll_os::kernel::x86_64 {
namespace {

constexpr const char* kExceptionNames[32] = {"divide error",
                                             "debug",
                                             "non-maskable interrupt",
                                             "breakpoint",
                                             "overflow",
                                             "bound range exceeded",
                                             "invalid opcode",
                                             "device not available",
                                             "double fault",
                                             "coprocessor segment overrun",
                                             "invalid TSS",
                                             "segment not present",
                                             "stack-segment fault",
                                             "general protection fault",
                                             "page fault",
                                             "reserved",
                                             "x87 floating-point error",
                                             "alignment check",
                                             "machine check",
                                             "SIMD floating-point error",
                                             "virtualization",
                                             "control protection",
                                             "reserved",
                                             "reserved",
                                             "reserved",
                                             "reserved",
                                             "reserved",
                                             "reserved",
                                             "hypervisor injection",
                                             "VMM communication",
                                             "security",
                                             "reserved"};

}  // namespace

const char* exception_name(uint64_t vector) {
  return vector < 32 ? kExceptionNames[vector] : "unexpected interrupt";
}

namespace {

void print_page_fault_cause(uint64_t error) {
  log_raw("  cause: %s, %s, %s mode%s\n", error & 2 ? "write" : "read",
          error & 1 ? "protection violation" : "page not present", error & 4 ? "user" : "kernel",
          error & 16 ? ", instruction fetch" : "");
}

void print_registers(const InterruptFrame& f) {
  log_raw("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f.rax, f.rbx, f.rcx, f.rdx);
  log_raw("  rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx\n", f.rsi, f.rdi, f.rbp, f.rsp);
  log_raw("  r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx\n", f.r8, f.r9, f.r10, f.r11);
  log_raw("  r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n", f.r12, f.r13, f.r14, f.r15);
  log_raw("  rip=%016lx cs=%04lx rflags=%016lx ss=%04lx\n", f.rip, f.cs, f.rflags, f.ss);
  log_raw("  cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n", read_cr0(), read_cr2(), read_cr3(),
          read_cr4());
}

}  // namespace

void panic_on_exception(const InterruptFrame& frame) {
  disable_interrupts();
  uint64_t cr2 = read_cr2();
  log_raw("\nKERNEL PANIC: %s (vector %lu, error code 0x%lx)", exception_name(frame.vector),
          frame.vector, frame.error_code);
  if (frame.vector == kPageFaultVector) log_raw(" at address cr2=0x%016lx", cr2);
  log_raw("\n");
  auto location = kernel_symbols().lookup(frame.rip);
  if (location.ok()) {
    log_raw("  in %.*s+0x%lx\n", int(location->name.size()), location->name.data(),
            location->offset);
  }
  if (frame.vector == kPageFaultVector) print_page_fault_cause(frame.error_code);
  print_registers(frame);
  print_backtrace(frame.rip, frame.rbp, (frame.cs & 3) == 0 ? frame.rsp : 0);
  power_off(KernelExit::kPanic);
}

}  // namespace atoll_os::kernel::x86_64
