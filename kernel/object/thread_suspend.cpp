// Suspending threads at clean user states, so that their registers can be read, moved to
// another machine and continued there: a suspended thread is never inside a system call
// whose result is still to be written.
#include <stdint.h>

#include "object/endpoint.h"
#include "object/notification.h"
#include "object/thread.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

constexpr uint64_t kSyscallInstructionLength = 2;  // 0f 05

// Points the user frame of a thread blocked in a system call back at its `syscall`
// instruction. The entry path leaves rax (the number) and the argument registers in the
// frame untouched until the handler's result is written, so they are still as at entry.
void rewind_system_call(x86_64::InterruptFrame& frame) {
  frame.rip -= kSyscallInstructionLength;
  // Its reply is gone already: what is left to restart is the receive, same arguments.
  if (frame.rax == uint64_t(abi::Syscall::ipc_reply_recv)) {
    frame.rax = uint64_t(abi::Syscall::ipc_recv);
  }
}

}  // namespace

// Takes a thread out of a wait that nothing has taken yet. A page fault's call to the pager
// is not a system call: its frame already points at the faulting instruction, which
// faults again when the thread resumes.
void Thread::leave_wait() {
  cancel_timeout(*this);
  if (ipc.endpoint) ipc.endpoint->unlink(*this);
  if (ipc.notification) ipc.notification->unlink(*this);
  bool fault = state_ == ThreadState::kBlockedSend && ipc.is_fault;
  if (!fault) rewind_system_call(user_frame());
  ipc.result = kResultRestart;
  make_ready(*this);  // suspended: not queued
}

// A thread inside a system call it must finish before it can stop: waiting for the reply
// its server now owes, or woken with its result decided but not yet written. A ready
// thread that never ran (no switch to it yet) is at its first user instruction; the
// current thread, suspending itself, stops on its way out of this call.
bool Thread::must_finish_call() const {
  if (state_ == ThreadState::kBlockedReply) return true;
  bool inside_kernel = switches != 0 && !at_user_boundary;
  return state_ == ThreadState::kReady && inside_kernel && this != &current_thread();
}

Result<void> Thread::suspend() {
  if (suspended() || state_ == ThreadState::kDead) return success();
  // A thread that owes a reply stops once it has answered: its caller's reply cannot move
  // to another node with it, and the caller would wait for ever.
  if (must_finish_call() || ipc.caller != nullptr) {
    stop_ = kStopPending;
    return Err(Error::kBusy);
  }
  stop_ = kStopped;
  bool waiting = state_ == ThreadState::kBlockedSend || state_ == ThreadState::kBlockedReceive ||
                 state_ == ThreadState::kBlockedNotification;
  if (waiting) leave_wait();
  unqueue(*this);
  return success();
}

void Thread::resume() {
  bool was_suspended = suspended();
  stop_ = 0;
  if (!was_suspended) return;
  if (state_ == ThreadState::kReady) make_ready(*this);
}

}  // namespace atoll_os::kernel
