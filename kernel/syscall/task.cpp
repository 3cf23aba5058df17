// System calls: the process manager's primitives over tasks and threads.
#include "object/task.h"
#include "arch/x86_64/context.h"
#include "atoll/abi/process.h"
#include "mm/user_access.h"
#include "object/endpoint.h"
#include "object/notification.h"
#include "sched/scheduler.h"
#include "syscall/syscall.h"

namespace atoll_os::kernel {
namespace {

using abi::ObjectType;

template <typename T>
Result<T*> lookup(uint64_t handle, ObjectType type, uint32_t rights) {
  auto entry = current_task().handles().lookup(uint32_t(handle), type, rights);
  if (!entry.ok()) return Err(entry.error());
  if (handle > UINT32_MAX) return Err(Error::kBadHandle);
  return static_cast<T*>((*entry)->object);
}

bool user_address(uint64_t a) {
  return a < abi::kUserSpaceEnd;
}

// Registers that user code may not choose: ring, interrupt flag, I/O privilege.
uint64_t sanitize_rflags(uint64_t requested, bool io_ports) {
  constexpr uint64_t kUserSettable = 0xcd5;  // CF PF AF ZF SF TF DF OF
  return (requested & kUserSettable) | 0x202 | (io_ports ? x86_64::kRflagsIopl3 : 0);
}

}  // namespace

int64_t sys_task_create(const SyscallArgs& args) {
  Endpoint* pager = nullptr;
  uint64_t badge = 0;
  if (args.a0 != 0) {
    auto entry =
        current_task().handles().lookup(uint32_t(args.a0), ObjectType::kEndpoint, abi::kRightWrite);
    if (!entry.ok()) return -int64_t(entry.error());
    pager = static_cast<Endpoint*>((*entry)->object);
    badge = (*entry)->badge;
  }
  Notification* death = nullptr;
  if (args.a1 != 0) {
    auto n = lookup<Notification>(args.a1, ObjectType::kNotification, abi::kRightWrite);
    if (!n.ok()) return -int64_t(n.error());
    death = *n;
  }
  if (args.a2 >> 63) return -int64_t(Error::kInvalidArgument);
  auto task = Task::create(pager, badge, death, args.a2);
  if (!task.ok()) return -int64_t(task.error());
  auto handle = current_task().handles().add(*task, abi::kRightsAll, 0, nullptr);
  (*task)->release();
  return syscall_result(handle);
}

int64_t sys_thread_create(const SyscallArgs& args) {
  auto task = lookup<Task>(args.a0, ObjectType::kTask, abi::kRightControl);
  if (!task.ok()) return -int64_t(task.error());
  if (!(*task)->alive()) return -int64_t(Error::kBadHandle);
  if (!user_address(args.a1) || !user_address(args.a2)) return -int64_t(Error::kInvalidArgument);
  auto thread = Thread::create_user(**task, args.a1, args.a2, args.a3);
  if (!thread.ok()) return -int64_t(thread.error());
  auto handle = current_task().handles().add(*thread, abi::kRightsAll, 0, nullptr);
  if (handle.ok()) (*task)->add_thread(**thread);
  (*thread)->release();
  return syscall_result(handle);
}

int64_t sys_thread_start(const SyscallArgs& args) {
  auto thread = lookup<Thread>(args.a0, ObjectType::kThread, abi::kRightControl);
  if (!thread.ok()) return -int64_t(thread.error());
  if ((*thread)->state() != ThreadState::kCreated) return -int64_t(Error::kBusy);
  if (args.a1 >= abi::kPriorityCount || args.a1 == 0) return -int64_t(Error::kInvalidArgument);
  (*thread)->set_priority(uint8_t(args.a1));
  make_ready(**thread);
  return 0;
}

// The current thread suspending itself stops on its way out of this call, with rax = 0.
int64_t sys_thread_suspend(const SyscallArgs& args) {
  auto thread = lookup<Thread>(args.a0, ObjectType::kThread, abi::kRightControl);
  if (!thread.ok()) return -int64_t(thread.error());
  return syscall_result((*thread)->suspend());
}

int64_t sys_thread_resume(const SyscallArgs& args) {
  auto thread = lookup<Thread>(args.a0, ObjectType::kThread, abi::kRightControl);
  if (!thread.ok()) return -int64_t(thread.error());
  (*thread)->resume();
  return 0;
}

int64_t sys_thread_read_state(const SyscallArgs& args) {
  auto thread = lookup<Thread>(args.a0, ObjectType::kThread, abi::kRightControl);
  if (!thread.ok()) return -int64_t(thread.error());
  Thread& t = **thread;
  if (!t.is_user() || t.state() == ThreadState::kDead) return -int64_t(Error::kInvalidArgument);
  if (&t == &current_thread()) x86_64::fpu_save(t.fpu_state());
  const auto& f = t.user_frame();
  abi::ThreadState s{f.rax, f.rbx, f.rcx, f.rdx,    f.rsi,     f.rdi,     f.rbp,
                     f.rsp, f.r8,  f.r9,  f.r10,    f.r11,     f.r12,     f.r13,
                     f.r14, f.r15, f.rip, f.rflags, t.fs_base, t.gs_base, {}};
  __builtin_memcpy(s.fpu, t.fpu_state(), sizeof(s.fpu));
  return syscall_result(UserPointer<abi::ThreadState>(args.a1).write(current_task(), s));
}

int64_t sys_thread_write_state(const SyscallArgs& args) {
  auto thread = lookup<Thread>(args.a0, ObjectType::kThread, abi::kRightControl);
  if (!thread.ok()) return -int64_t(thread.error());
  Thread& t = **thread;
  if (!t.is_user() || t.state() == ThreadState::kDead) return -int64_t(Error::kInvalidArgument);
  bool stopped = t.suspended() || t.state() == ThreadState::kCreated;
  if (!stopped || &t == &current_thread()) return -int64_t(Error::kBusy);
  auto in = UserPointer<abi::ThreadState>(args.a1).read(current_task());
  if (!in.ok()) return -int64_t(in.error());
  const abi::ThreadState& s = *in;
  if (!user_address(s.rip) || !user_address(s.rsp)) return -int64_t(Error::kInvalidArgument);
  if (!user_address(s.fs_base) || !user_address(s.gs_base))
    return -int64_t(Error::kInvalidArgument);
  if (!x86_64::fpu_state_valid(s.fpu)) return -int64_t(Error::kInvalidArgument);
  auto& f = t.user_frame();
  f.rax = s.rax, f.rbx = s.rbx, f.rcx = s.rcx, f.rdx = s.rdx, f.rsi = s.rsi, f.rdi = s.rdi;
  f.rbp = s.rbp, f.rsp = s.rsp, f.r8 = s.r8, f.r9 = s.r9, f.r10 = s.r10, f.r11 = s.r11;
  f.r12 = s.r12, f.r13 = s.r13, f.r14 = s.r14, f.r15 = s.r15, f.rip = s.rip;
  f.rflags = sanitize_rflags(s.rflags, t.task()->io_ports_enabled());
  __builtin_memcpy(t.fpu_state(), s.fpu, sizeof(s.fpu));
  t.fs_base = s.fs_base;
  t.gs_base = s.gs_base;
  return 0;
}

int64_t sys_task_kill(const SyscallArgs& args) {
  auto task = lookup<Task>(args.a0, ObjectType::kTask, abi::kRightControl);
  if (!task.ok()) return -int64_t(task.error());
  (*task)->terminate(abi::TaskState::kKilled, int64_t(args.a1));
  return 0;
}

int64_t sys_task_status(const SyscallArgs& args) {
  auto task = lookup<Task>(args.a0, ObjectType::kTask, 0);
  if (!task.ok()) return -int64_t(task.error());
  abi::TaskStatus status;
  (*task)->fill_status(status);
  return syscall_result(UserPointer<abi::TaskStatus>(args.a1).write(current_task(), status));
}

int64_t sys_thread_stats(const SyscallArgs& args) {
  auto thread = lookup<Thread>(args.a0, ObjectType::kThread, 0);
  if (!thread.ok()) return -int64_t(thread.error());
  Thread& t = **thread;
  uint32_t state = uint32_t(t.state());
  if (t.suspended() && t.state() != ThreadState::kDead) {
    state = uint32_t(abi::ThreadRunState::kSuspended);
  }
  abi::ThreadStats stats{tsc_to_ns(t.cpu_tsc), t.switches, t.priority(), state};
  return syscall_result(UserPointer<abi::ThreadStats>(args.a1).write(current_task(), stats));
}

}  // namespace atoll_os::kernel
