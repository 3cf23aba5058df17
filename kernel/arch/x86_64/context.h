// Context switching, the user-mode entry points and FPU state: the CPU side of threads.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::kernel::x86_64 {

/// Registers switch_context() pushes below the return address (rbx, rbp, r12-r15).
inline constexpr int kSwitchSavedRegisters = 6;
inline constexpr uint64_t kRflagsIopl3 = 3ull << 12;

/// Saves the callee-saved registers on the current stack, stores rsp in *save_rsp, loads
/// `load_rsp` and returns into whatever that stack was switched out from (or prepared for).
extern "C" void switch_context(uint64_t* save_rsp, uint64_t load_rsp);
/// Pops the InterruptFrame at rsp and iretq's to it: a new user thread's first "return".
extern "C" void return_to_user();

/// Programs the syscall MSRs and enables SSE for user code (FXSAVE/FXRSTOR).
void cpu_features_init();
}  // namespace atoll_os::kernel::x86_64

extern "C" uint64_t syscall_kernel_rsp;  // context.S: the stack syscall_entry switches to

namespace atoll_os::kernel::x86_64 {

/// The kernel stack top the syscall entry switches to (the current thread's).
inline void set_syscall_stack(uint64_t top) {
  syscall_kernel_rsp = top;
}

/// Loads the user FS and GS base registers; the kernel itself uses neither segment. User
/// code can move a base behind the kernel's back only to 0 (by loading a selector), so the
/// bases are known to be 0 when both were loaded as 0, and switches between threads that
/// all have both at 0 (almost all) write no MSR.
void load_user_segment_bases_slow(uint64_t fs, uint64_t gs);
extern uint64_t loaded_fs_base, loaded_gs_base;
inline void load_user_segment_bases(uint64_t fs, uint64_t gs) {
  if ((fs | gs | loaded_fs_base | loaded_gs_base) != 0) load_user_segment_bases_slow(fs, gs);
}

/// A clean FPU/SSE state (as after FNINIT, MXCSR 0x1f80) in FXSAVE layout.
void fpu_initial_state(uint8_t* area);
/// False if FXRSTOR of `area` would fault (MXCSR bits outside the CPU's mask).
bool fpu_state_valid(const uint8_t* area);
inline void fpu_save(uint8_t* area) {
  asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}
inline void fpu_restore(const uint8_t* area) {
  asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

}  // namespace atoll_os::kernel::x86_64
