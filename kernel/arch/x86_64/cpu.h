// Thin wrappers over x86-64 instructions: port I/O, control registers, MSRs, interrupts.
#pragma once

#include <stdint.h>

#include "atoll/port_io.h"

namespace atoll_os::kernel::x86_64 {

using port_io::inb;
using port_io::outb;
using port_io::outl;

inline uint64_t read_cr2() {
  uint64_t value;
  asm volatile("mov %%cr2, %0" : "=r"(value));
  return value;
}
inline uint64_t read_cr3() {
  uint64_t value;
  asm volatile("mov %%cr3, %0" : "=r"(value));
  return value;
}
inline void write_cr3(uint64_t value) {
  asm volatile("mov %0, %%cr3" : : "r"(value) : "memory");
}
inline uint64_t read_cr0() {
  uint64_t value;
  asm volatile("mov %%cr0, %0" : "=r"(value));
  return value;
}
inline uint64_t read_cr4() {
  uint64_t value;
  asm volatile("mov %%cr4, %0" : "=r"(value));
  return value;
}
inline void invalidate_page(uint64_t virt) {
  asm volatile("invlpg (%0)" : : "r"(virt) : "memory");
}

inline uint64_t read_msr(uint32_t msr) {
  uint32_t low, high;
  asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
  return (uint64_t(high) << 32) | low;
}
inline void write_msr(uint32_t msr, uint64_t value) {
  asm volatile("wrmsr" : : "c"(msr), "a"(uint32_t(value)), "d"(uint32_t(value >> 32)));
}

inline uint64_t read_tsc() {
  uint32_t low, high;
  asm volatile("rdtsc" : "=a"(low), "=d"(high));
  return (uint64_t(high) << 32) | low;
}

inline void enable_interrupts() {
  asm volatile("sti" ::: "memory");
}
inline void disable_interrupts() {
  asm volatile("cli" ::: "memory");
}
/// Sleeps until the next interrupt; `sti; hlt` is one unit, so no wake-up is missed.
inline void enable_interrupts_and_halt() {
  asm volatile("sti; hlt" ::: "memory");
}
inline void halt() {
  asm volatile("hlt" ::: "memory");
}

inline uint64_t read_rbp() {
  uint64_t value;
  asm volatile("mov %%rbp, %0" : "=r"(value));
  return value;
}

}  // namespace atoll_os::kernel::x86_64
