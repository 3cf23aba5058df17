// Raw system calls: the `syscall` instruction with 0-6 word arguments, and one entry per
// system call generated from syscalls.def, its argument count checked against that file.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <type_traits>

#include "atoll/abi/syscalls.h"

namespace atoll_os::user {

/// Number of arguments a syscalls.def signature such as "(handle h, uint32 rights) -> ..."
/// declares: the commas before its first ')' plus one, 0 for "()", -1 if malformed.
constexpr int syscall_arity(const char* signature) {
  if (signature[0] != '(') return -1;
  if (signature[1] == ')') return 0;
  int commas = 0;
  for (const char* p = signature + 1; *p != ')'; ++p) {
    if (*p == '\0') return -1;
    if (*p == ',') ++commas;
  }
  return commas + 1;
}

// The register bindings below follow the convention in syscalls.def. Argument registers are
// read-write operands ("+D" ...): only rcx and r11 are documented as clobbered, but a kernel
// that reused an argument register would otherwise corrupt the caller silently.
// "memory": calls read and write user buffers the compiler cannot see.

inline int64_t syscall0(abi::Syscall number) {
  int64_t result = static_cast<int64_t>(number);
  asm volatile("syscall" : "+a"(result) : : "rcx", "r11", "memory");
  return result;
}

inline int64_t syscall1(abi::Syscall number, uint64_t a) {
  int64_t result = static_cast<int64_t>(number);
  asm volatile("syscall" : "+a"(result), "+D"(a) : : "rcx", "r11", "memory");
  return result;
}

inline int64_t syscall2(abi::Syscall number, uint64_t a, uint64_t b) {
  int64_t result = static_cast<int64_t>(number);
  asm volatile("syscall" : "+a"(result), "+D"(a), "+S"(b) : : "rcx", "r11", "memory");
  return result;
}

inline int64_t syscall3(abi::Syscall number, uint64_t a, uint64_t b, uint64_t c) {
  int64_t result = static_cast<int64_t>(number);
  asm volatile("syscall" : "+a"(result), "+D"(a), "+S"(b), "+d"(c) : : "rcx", "r11", "memory");
  return result;
}

inline int64_t syscall4(abi::Syscall number, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  int64_t result = static_cast<int64_t>(number);
  register uint64_t r10 asm("r10") = d;
  asm volatile("syscall"
               : "+a"(result), "+D"(a), "+S"(b), "+d"(c), "+r"(r10)
               :
               : "rcx", "r11", "memory");
  return result;
}

inline int64_t syscall5(abi::Syscall number, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                        uint64_t e) {
  int64_t result = static_cast<int64_t>(number);
  register uint64_t r10 asm("r10") = d;
  register uint64_t r8 asm("r8") = e;
  asm volatile("syscall"
               : "+a"(result), "+D"(a), "+S"(b), "+d"(c), "+r"(r10), "+r"(r8)
               :
               : "rcx", "r11", "memory");
  return result;
}

inline int64_t syscall6(abi::Syscall number, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                        uint64_t e, uint64_t f) {
  int64_t result = static_cast<int64_t>(number);
  register uint64_t r10 asm("r10") = d;
  register uint64_t r8 asm("r8") = e;
  register uint64_t r9 asm("r9") = f;
  asm volatile("syscall"
               : "+a"(result), "+D"(a), "+S"(b), "+d"(c), "+r"(r10), "+r"(r8), "+r"(r9)
               :
               : "rcx", "r11", "memory");
  return result;
}

namespace raw {

/// An argument as the register word the kernel reads: integers and enums widen (signed ones
/// sign-extend, as the kernel expects of int64 codes), pointers become their address.
template <typename T>
inline uint64_t to_word(T value) {
  if constexpr (std::is_pointer_v<T>) {
    return reinterpret_cast<uintptr_t>(value);
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<uint64_t>(value);
  } else {
    static_assert(std::is_integral_v<T>, "system-call arguments are integers or pointers");
    return static_cast<uint64_t>(value);
  }
}

inline int64_t invoke(abi::Syscall n) {
  return syscall0(n);
}
inline int64_t invoke(abi::Syscall n, uint64_t a) {
  return syscall1(n, a);
}
inline int64_t invoke(abi::Syscall n, uint64_t a, uint64_t b) {
  return syscall2(n, a, b);
}
inline int64_t invoke(abi::Syscall n, uint64_t a, uint64_t b, uint64_t c) {
  return syscall3(n, a, b, c);
}
inline int64_t invoke(abi::Syscall n, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  return syscall4(n, a, b, c, d);
}
inline int64_t invoke(abi::Syscall n, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  return syscall5(n, a, b, c, d, e);
}
inline int64_t invoke(abi::Syscall n, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                      uint64_t f) {
  return syscall6(n, a, b, c, d, e, f);
}

// raw::NAME(args...) for every system call: the kernel's result word (>= 0 success,
// -Error failure). Passing a different number of arguments than syscalls.def declares is a
// compile error, so the typed wrappers cannot drift from the one source of truth.
#define ATOLL_SYSCALL(number, name, signature)                                  \
  static_assert(syscall_arity(signature) >= 0 && syscall_arity(signature) <= 6, \
                "syscalls.def: malformed signature of " #name);                 \
  template <typename... Args>                                                   \
  inline int64_t name(Args... args) {                                           \
    static_assert(sizeof...(Args) == syscall_arity(signature),                  \
                  "syscalls.def declares " #name signature);                    \
    return invoke(abi::Syscall::name, to_word(args)...);                        \
  }
#include "atoll/abi/syscalls.def"
#undef ATOLL_SYSCALL

}  // namespace raw
}  // namespace atoll_os::user
