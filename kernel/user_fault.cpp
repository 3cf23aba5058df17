// User exceptions: the external-pager protocol, and ending tasks that fault for good.
#include "user_fault.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "log.h"
#include "object/endpoint.h"
#include "object/task.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

uint32_t fault_access(uint64_t error_code) {
  uint32_t access = 0;
  if (error_code & 2) access |= abi::kFaultWrite;
  if (error_code & 16) access |= abi::kFaultExecute;
  if (error_code & 1) access |= abi::kFaultPresent;
  return access;
}

// Sends the fault to the pager as a call on the thread's behalf; true once resolved.
bool ask_pager(Thread& thread, Task& task, uint64_t address, uint64_t rip, uint64_t error) {
  // No reference held across the call: the task holds the pager until it ends, and then
  // this thread dies without unwinding, which would leak one kept on its kernel stack.
  Endpoint* pager = task.pager();
  if (pager == nullptr) return false;
  thread.ipc.is_fault = true;
  thread.ipc.is_call = true;
  thread.ipc.fault = {address, rip, fault_access(error), 0};
  thread.ipc.badge = task.pager_badge();
  thread.ipc.buffer = 0;
  int64_t result = pager->send(thread, abi::kForever, nullptr);
  thread.ipc.is_fault = false;
  // Suspended before the pager took it: the access is retried, and faults again, on resume.
  if (result == kResultRestart) return task.alive();
  return result == 0 && task.alive();
}

}  // namespace

void handle_user_exception(x86_64::InterruptFrame& frame) {
  Thread& thread = current_thread();
  Task& task = *thread.task();
  bool page_fault = frame.vector == x86_64::kPageFaultVector;
  uint64_t address = page_fault ? x86_64::read_cr2() : 0;
  if (page_fault && ask_pager(thread, task, address, frame.rip, frame.error_code)) {
    preempt_if_needed();  // a suspension pending while the pager answered stops it here
    return;
  }
  if (task.alive()) {
    log_warn("task %lu: %s at rip 0x%lx (address 0x%lx, error 0x%lx): task ended", task.id(),
             x86_64::exception_name(frame.vector), frame.rip, address, frame.error_code);
    task.terminate(abi::TaskState::kFaulted, -int64_t(frame.vector), address, frame.rip);
  }
  preempt_if_needed();
}

}  // namespace atoll_os::kernel
