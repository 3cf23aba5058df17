// System calls: null, debug output, yield, clock, system information, exits.
#include "log.h"
#include "mm/user_access.h"
#include "object/task.h"
#include "sched/scheduler.h"
#include "syscall/syscall.h"

namespace atoll_os::kernel {

constexpr size_t kDebugWriteMax = 4096;

int64_t sys_null(const SyscallArgs&) {
  return 0;
}

int64_t sys_debug_write(const SyscallArgs& args) {
  if (args.a1 > kDebugWriteMax) return -int64_t(Error::kInvalidArgument);
  char text[kDebugWriteMax];
  auto copied = copy_from_user(current_task(), args.a0, text, args.a1);
  if (!copied.ok()) return syscall_result(copied);
  size_t length = args.a1;
  while (length > 0 && text[length - 1] == '\n') --length;  // the log adds its own
  log_info("task %lu: %.*s", current_task().id(), int(length), text);
  return 0;
}

int64_t sys_yield(const SyscallArgs&) {
  schedule();
  return 0;
}

int64_t sys_clock_ns(const SyscallArgs&) {
  return int64_t(clock_ns());
}

int64_t sys_system_info(const SyscallArgs& args) {
  RunQueueLoad load = run_queue_load();
  abi::SystemInfo info{abi::kKernelAbiVersion, load.runnable, load.average_milli, kLoadWindowMs};
  return syscall_result(UserPointer<abi::SystemInfo>(args.a0).write(current_task(), info));
}

int64_t sys_thread_exit(const SyscallArgs&) {
  current_task().thread_exited(current_thread(), 0);
  return 0;  // never seen: the dispatcher switches away from the dead thread
}

int64_t sys_task_exit(const SyscallArgs& args) {
  current_task().terminate(abi::TaskState::kExited, int64_t(args.a0));
  return 0;
}

}  // namespace atoll_os::kernel
