// System-call handlers: one declaration per entry of syscalls.def, defined per family.
#pragma once

#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

namespace atoll_os::kernel {

class Task;
class Thread;

/// The six argument registers of a system call, in ABI order.
struct SyscallArgs {
  uint64_t a0, a1, a2, a3, a4, a5;
};

#define ATOLL_SYSCALL(number, name, arguments) int64_t sys_##name(const SyscallArgs& args);
#include "atoll/abi/syscalls.def"
#undef ATOLL_SYSCALL

/// A handler's Result as the value in rax: the value, or -Error.
inline int64_t syscall_result(const Result<void>& r) {
  return r.ok() ? 0 : -int64_t(r.error());
}
template <typename T>
int64_t syscall_result(const Result<T>& r) {
  return r.ok() ? int64_t(r.value()) : -int64_t(r.error());
}

Task& current_task();

}  // namespace atoll_os::kernel
