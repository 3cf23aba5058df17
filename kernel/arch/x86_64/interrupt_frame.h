// The register state saved by the interrupt entry stubs, as the dispatcher sees it.
#pragma once

#include <stdint.h>

namespace atoll_os::kernel::x86_64 {

/// Layout fixed by interrupt_entry.S: general registers pushed by the common stub, then
/// vector and error code pushed by the per-vector stub, then the CPU's own frame.
struct InterruptFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(InterruptFrame) == 22 * 8);
// syscall_entry's sysretq path reads rip, rflags and rsp at these offsets past the error code.
static_assert(__builtin_offsetof(InterruptFrame, rip) == 17 * 8);
static_assert(__builtin_offsetof(InterruptFrame, rflags) == 19 * 8);
static_assert(__builtin_offsetof(InterruptFrame, rsp) == 20 * 8);

}  // namespace atoll_os::kernel::x86_64
