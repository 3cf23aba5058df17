// Threads: kernel stacks laid out so that the first switch to a thread enters its code.
#include "object/thread.h"

#include <new>

#include "arch/x86_64/context.h"
#include "arch/x86_64/gdt.h"
#include "object/task.h"

namespace atoll_os::kernel {
namespace {

constexpr uint64_t kUserRflags = 0x202;  // IF set, reserved bit 1

}  // namespace

Result<void> Thread::allocate_stack() {
  kernel_stack_ = new (std::nothrow) uint8_t[kKernelStackSize];
  if (kernel_stack_ == nullptr) return Err(Error::kOutOfMemory);
  x86_64::fpu_initial_state(fpu_);
  return success();
}

uint64_t Thread::kernel_stack_top() const {
  return reinterpret_cast<uint64_t>(kernel_stack_) + kKernelStackSize;
}

// Builds the stack that switch_context() pops: callee-saved registers, then the address
// it "returns" to. For a user thread that is the interrupt return path over user_frame_.
void Thread::prepare_first_switch(void (*continuation)()) {
  // Built downwards from below the user frame (or the stack top for kernel threads).
  uint64_t* stack = reinterpret_cast<uint64_t*>(kernel_stack_);
  size_t top = (user_frame_ ? reinterpret_cast<uint64_t>(user_frame_) : kernel_stack_top()) -
               reinterpret_cast<uint64_t>(kernel_stack_);
  size_t slot = top / sizeof(uint64_t);
  if (user_frame_ == nullptr) stack[--slot] = 0;  // a kernel body's (absent) return address
  stack[--slot] = reinterpret_cast<uint64_t>(continuation);
  for (int i = 0; i < x86_64::kSwitchSavedRegisters; ++i) stack[--slot] = 0;
  saved_kernel_rsp = reinterpret_cast<uint64_t>(&stack[slot]);
}

Result<Thread*> Thread::create_user(Task& task, uint64_t entry, uint64_t stack_top,
                                    uint64_t argument) {
  auto* thread = new (std::nothrow) Thread;
  if (thread == nullptr) return Err(Error::kOutOfMemory);
  if (auto r = thread->allocate_stack(); !r.ok()) {
    thread->release();
    return Err(r.error());
  }
  thread->task_ = &task;
  task.retain();
  auto* frame = reinterpret_cast<x86_64::InterruptFrame*>(thread->kernel_stack_top() -
                                                          sizeof(x86_64::InterruptFrame));
  *frame = {};
  frame->rip = entry;
  frame->rsp = stack_top;
  frame->rdi = argument;
  frame->cs = x86_64::kUserCode;
  frame->ss = x86_64::kUserData;
  frame->rflags = kUserRflags | (task.io_ports_enabled() ? x86_64::kRflagsIopl3 : 0);
  thread->user_frame_ = frame;
  thread->prepare_first_switch(x86_64::return_to_user);
  return thread;
}

Result<Thread*> Thread::create_kernel(void (*body)()) {
  auto* thread = new (std::nothrow) Thread;
  if (thread == nullptr) return Err(Error::kOutOfMemory);
  if (auto r = thread->allocate_stack(); !r.ok()) {
    thread->release();
    return Err(r.error());
  }
  thread->prepare_first_switch(body);
  return thread;
}

Thread::~Thread() {
  delete[] kernel_stack_;
  if (task_) task_->release();
}

}  // namespace atoll_os::kernel
