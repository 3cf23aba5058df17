// CPU setup for user mode: syscall MSRs, SSE enabled for user code, the FPU template.
#include "arch/x86_64/context.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"

extern "C" void syscall_entry();

namespace atoll_os::kernel::x86_64 {
namespace {

constexpr uint32_t kMsrEfer = 0xc0000080, kMsrStar = 0xc0000081, kMsrLstar = 0xc0000082;
constexpr uint32_t kMsrFmask = 0xc0000084;
constexpr uint64_t kEferSyscall = 1;
// Cleared on entry: interrupts (the kernel runs with them off), direction, trap, alignment.
constexpr uint64_t kSyscallMask = (1u << 9) | (1u << 10) | (1u << 8) | (1u << 18);
constexpr uint64_t kCr0MonitorCoprocessor = 1u << 1, kCr0Emulation = 1u << 2;
constexpr uint64_t kCr4Osfxsr = 1u << 9, kCr4Osxmmexcpt = 1u << 10;
constexpr uint32_t kMxcsrDefault = 0x1f80;  // all SSE exceptions masked, round to nearest
constexpr size_t kMxcsrOffset = 24;

alignas(16) uint8_t fpu_template[512];

void write_cr0(uint64_t v) {
  asm volatile("mov %0, %%cr0" : : "r"(v));
}
void write_cr4(uint64_t v) {
  asm volatile("mov %0, %%cr4" : : "r"(v));
}

}  // namespace

void cpu_features_init() {
  write_msr(kMsrEfer, read_msr(kMsrEfer) | kEferSyscall);
  write_msr(kMsrStar, (uint64_t(kUserBase) << 48) | (uint64_t(kKernelCode) << 32));
  write_msr(kMsrLstar, reinterpret_cast<uint64_t>(syscall_entry));
  write_msr(kMsrFmask, kSyscallMask);
  write_cr0((read_cr0() & ~kCr0Emulation) | kCr0MonitorCoprocessor);
  write_cr4(read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt);
  asm volatile("fninit");
  fpu_save(fpu_template);
  __builtin_memcpy(fpu_template + kMxcsrOffset, &kMxcsrDefault, sizeof(kMxcsrDefault));
}

uint64_t loaded_fs_base = 0, loaded_gs_base = 0;  // as after reset

void load_user_segment_bases_slow(uint64_t fs, uint64_t gs) {
  constexpr uint32_t kMsrFsBase = 0xc0000100, kMsrGsBase = 0xc0000101;
  write_msr(kMsrFsBase, fs);
  write_msr(kMsrGsBase, gs);
  loaded_fs_base = fs;
  loaded_gs_base = gs;
}

bool fpu_state_valid(const uint8_t* area) {
  constexpr size_t kMxcsrMaskOffset = 28;
  uint32_t mxcsr, mask;
  __builtin_memcpy(&mxcsr, area + kMxcsrOffset, sizeof(mxcsr));
  __builtin_memcpy(&mask, fpu_template + kMxcsrMaskOffset, sizeof(mask));
  if (mask == 0) mask = 0xffbf;  // the architectural default when the CPU reports none
  return (mxcsr & ~mask) == 0;
}

void fpu_initial_state(uint8_t* area) {
  __builtin_memcpy(area, fpu_template, sizeof(fpu_template));
}

}  // namespace atoll_os::kernel::x86_64
