// The GDT (kernel and user segments laid out for syscall/sysret) and the TSS.
#pragma once

#include <stdint.h>

namespace atoll_os::kernel::x86_64 {

// Selectors. sysret requires user data at STAR base + 8 and user code at STAR base + 16.
inline constexpr uint16_t kKernelCode = 0x08;
inline constexpr uint16_t kKernelData = 0x10;
inline constexpr uint16_t kUserBase = 0x18;  // a null 32-bit code slot that STAR points at
inline constexpr uint16_t kUserData = 0x20 | 3;
inline constexpr uint16_t kUserCode = 0x28 | 3;
inline constexpr uint16_t kTaskState = 0x30;

/// Interrupt stack table slot for double faults, so a kernel stack overflow still reports.
inline constexpr uint8_t kDoubleFaultIst = 1;

/// Loads the GDT and TSS and reloads every segment register.
void gdt_init();
/// Where the TSS keeps the stack the CPU switches to on an interrupt from user mode.
/// (The TSS is packed: rsp0 sits at offset 4, so it is written bytewise.)
extern uint8_t* const tss_kernel_stack;
inline void set_kernel_stack(uint64_t top) {
  __builtin_memcpy(tss_kernel_stack, &top, sizeof(top));
}

}  // namespace atoll_os::kernel::x86_64
