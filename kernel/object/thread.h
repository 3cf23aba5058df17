// A thread: the unit the scheduler runs, with its kernel stack, registers, FPU state and
// the state of the IPC it is blocked in.
#pragma once

#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "atoll/abi/syscalls.h"
#include "atoll/result.h"
#include "lib/intrusive_list.h"
#include "object/kernel_object.h"

namespace atoll_os::kernel {

class Task;
class Thread;
class Endpoint;
class Notification;

enum class ThreadState : uint8_t {
  kCreated,              // made, never started
  kReady,                // runnable (on a run queue unless suspended or current)
  kBlockedSend,          // on an endpoint's sender queue (send or call)
  kBlockedReceive,       // on an endpoint's receiver queue
  kBlockedReply,         // sent a call, waiting for the receiver's reply
  kBlockedNotification,  // waiting on a notification
  kDead,
};
// thread_stats reports these values as they are (suspended threads read kSuspended).
static_assert(uint32_t(ThreadState::kBlockedNotification) ==
              uint32_t(abi::ThreadRunState::kBlockedNotification));
static_assert(uint32_t(ThreadState::kDead) == uint32_t(abi::ThreadRunState::kDead));

/// ipc.result of a wait that a suspension took the thread out of: the system call unwinds
/// without writing the user frame, which thread_suspend already rewound to restart the
/// call. Never a result any system call returns (errors are small negative numbers); fits
/// an immediate operand, for the dispatcher's one compare.
inline constexpr int64_t kResultRestart = INT32_MIN;

class RevocationNode;

/// What a thread blocked in IPC is doing; kept in the thread so queues never allocate.
struct IpcState {
  uint64_t buffer = 0;           // user address of its Message
  abi::MessageHeader header{};   // sender: validated header; receiver: its grant window
  uint64_t badge = 0;            // sender: the badge of the handle it sent through
  bool is_call = false;          // sender: wants a reply
  bool is_fault = false;         // sender: a page fault the kernel sends on its behalf
  abi::PageFault fault{};        // the message of a fault call
  Endpoint* endpoint = nullptr;  // the endpoint whose queue holds it
  Notification* notification = nullptr;
  Thread* caller = nullptr;       // receiver: the call it owes a reply to (holds a reference)
  Thread* callee = nullptr;       // caller: the thread holding its reply (no reference)
  RevocationNode* via = nullptr;  // queued sender: the node of the handle it sent through
  uint64_t notified_bits = 0;     // notification waiter: the bits it was woken with
  int64_t result = 0;             // what the blocked system call returns when woken
};

class Thread final : public KernelObject {
 public:
  static constexpr size_t kKernelStackSize = 16 * 1024;

  /// A user thread of `task` that will enter user mode at `entry` with rsp = `stack_top`
  /// and rdi = `argument`; it starts in kCreated.
  static Result<Thread*> create_user(Task& task, uint64_t entry, uint64_t stack_top,
                                     uint64_t argument);
  /// A kernel thread running `body` (the idle thread).
  static Result<Thread*> create_kernel(void (*body)());

  Task* task() const { return task_; }
  bool is_user() const { return task_ != nullptr; }
  ThreadState state() const { return state_; }
  void set_state(ThreadState s) { state_ = s; }
  uint8_t priority() const { return priority_; }
  void set_priority(uint8_t p) { priority_ = p; }
  bool suspended() const { return (stop_ & kStopped) != 0; }
  /// Marks the thread stopped (or not) and nothing more; suspend() is the whole operation.
  void set_suspended(bool s) { stop_ = s ? kStopped : 0; }
  /// Asked to stop while it could not (waiting for a reply, owing one, or woken inside a
  /// system call it has yet to finish): it stops itself at its next return to user mode
  /// that owes no reply.
  bool suspend_pending() const { return (stop_ & kStopPending) != 0; }
  /// Suspended or about to be: one test on the way back to user mode covers both.
  bool stop_requested() const { return stop_ != 0; }

  /// Stops the thread at a clean user state: at once if it runs or waits in user mode or is
  /// blocked in a wait nothing has taken yet (which it leaves, rewound to restart the system
  /// call); kBusy, with the suspension pending, if it waits for a reply, owes one, or has a
  /// woken system call to finish. Success also if it already stopped.
  Result<void> suspend();
  /// Undoes suspend(), pending or done: a rewound system call restarts.
  void resume();
  /// The current thread, returning to user mode: stops here if a suspension is pending.
  void stop_if_pending() {
    if ((stop_ & kStopPending) != 0 && ipc.caller == nullptr) stop_ = kStopped;
  }

  /// The user-mode registers, saved at the top of the kernel stack on every entry.
  x86_64::InterruptFrame& user_frame() { return *user_frame_; }
  uint8_t* fpu_state() { return fpu_; }
  uint64_t kernel_stack_top() const;

  IpcState ipc;
  ListNode run_link;                      // run queue
  ListNode wait_link;                     // endpoint queue or notification waiters
  ListNode timeout_link;                  // the scheduler's timeout list
  ListNode task_link;                     // the task's thread list
  uint64_t deadline_ns = 0;               // clock_ns() when a timed wait expires
  void (*on_timeout)(Thread&) = nullptr;  // unlinks it from what it waits on
  uint64_t saved_kernel_rsp = 0;          // while switched out
  uint64_t fs_base = 0;                   // user FS and GS bases, loaded when it runs
  uint64_t gs_base = 0;
  // Switched out on its way back to user mode (set around that switch only, off the IPC
  // paths): its user frame is complete and nothing of a system call is left to do. A thread
  // switched out anywhere else is inside a system call or a fault, unless it never ran.
  bool at_user_boundary = false;
  uint64_t cpu_tsc = 0;
  uint64_t switches = 0;
  uint32_t slice_left = 0;

 private:
  Thread() : KernelObject(abi::ObjectType::kThread) {}
  ~Thread() override;
  Result<void> allocate_stack();
  bool must_finish_call() const;
  void leave_wait();
  void prepare_first_switch(void (*continuation)());

  Task* task_ = nullptr;  // holds a reference
  ThreadState state_ = ThreadState::kCreated;
  uint8_t priority_ = abi::kPriorityDefault;
  static constexpr uint8_t kStopped = 1, kStopPending = 2;
  uint8_t stop_ = 0;  // kStopped or kStopPending, never both
  uint8_t* kernel_stack_ = nullptr;
  x86_64::InterruptFrame* user_frame_ = nullptr;
  alignas(16) uint8_t fpu_[512];
};

}  // namespace atoll_os::kernel
