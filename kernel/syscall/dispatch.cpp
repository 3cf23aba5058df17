// The system-call table, built from syscalls.def, and the dispatcher the entry stub calls.
#include "arch/x86_64/interrupt_frame.h"
#include "object/task.h"
#include "sched/scheduler.h"
#include "syscall/syscall.h"

namespace atoll_os::kernel {
namespace {

using Handler = int64_t (*)(const SyscallArgs&);

constexpr auto kTable = [] {
  struct Table {
    Handler handlers[abi::kSyscallCount] = {};
  } table;
#define ATOLL_SYSCALL(number, name, arguments)                            \
  static_assert(number < abi::kSyscallCount, "raise abi::kSyscallCount"); \
  table.handlers[number] = sys_##name;
#include "atoll/abi/syscalls.def"
#undef ATOLL_SYSCALL
  return table;
}();

}  // namespace

Task& current_task() {
  return *current_thread().task();
}

}  // namespace atoll_os::kernel

/// Called by syscall_entry with the saved user state; the result goes back in rax. The
/// number and arguments stay in the frame until then, so that a call can be restarted.
extern "C" void syscall_dispatch(atoll_os::kernel::x86_64::InterruptFrame* frame) {
  using namespace atoll_os::kernel;
  uint64_t number = frame->rax;
  SyscallArgs args{frame->rdi, frame->rsi, frame->rdx, frame->r10, frame->r8, frame->r9};
  Handler handler = number < atoll_os::abi::kSyscallCount ? kTable.handlers[number] : nullptr;
  int64_t result = handler ? handler(args) : -int64_t(atoll_os::Error::kNotSupported);
  // A suspension took the thread out of its wait and rewound the frame (and the frame
  // may have been rewritten since): the call restarts from user mode, nothing to write.
  if (result != kResultRestart) frame->rax = uint64_t(result);
  preempt_if_needed();
}
