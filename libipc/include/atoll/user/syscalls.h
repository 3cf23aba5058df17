// Typed system calls for user programs: one inline wrapper per entry of syscalls.def,
// returning Result<T> instead of the kernel's signed result word.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"
#include "atoll/user/syscall.h"

namespace atoll_os::user {

using abi::Handle;

/// Timeouts (nanoseconds, relative): kPoll fails with kTimedOut at once, kForever never does.
inline constexpr uint64_t kPoll = 0;
inline constexpr uint64_t kForever = abi::kForever;

namespace detail {

inline Error error_of(int64_t word) {
  return static_cast<Error>(-word);
}
inline Result<void> to_void(int64_t word) {
  if (word < 0) return Err(error_of(word));
  return success();
}
inline Result<uint64_t> to_value(int64_t word) {
  if (word < 0) return Err(error_of(word));
  return static_cast<uint64_t>(word);
}
inline Result<Handle> to_handle(int64_t word) {
  if (word < 0) return Err(error_of(word));
  return static_cast<Handle>(word);
}
template <typename T>
inline Result<T> to_struct(int64_t word, const T& value) {
  if (word < 0) return Err(error_of(word));
  return value;
}

}  // namespace detail

// Basics and measurement.

/// The cheapest round trip into the kernel; for measuring system-call cost.
inline Result<void> null_syscall() {
  return detail::to_void(raw::null());
}
/// Writes text to the kernel log (the node's serial console), bypassing any console server.
inline Result<void> debug_write(const char* text, size_t length) {
  return detail::to_void(raw::debug_write(text, length));
}
inline void yield() {
  (void)raw::yield();
}
/// Nanoseconds since this node booted. Per node: a migrated process sees it jump.
inline uint64_t clock_ns() {
  return static_cast<uint64_t>(raw::clock_ns());
}
[[noreturn]] inline void thread_exit() {
  (void)raw::thread_exit();
  __builtin_unreachable();
}
[[noreturn]] inline void task_exit(int64_t code) {
  (void)raw::task_exit(code);
  __builtin_unreachable();
}

// IPC on endpoints.

inline Result<Handle> endpoint_create() {
  return detail::to_handle(raw::endpoint_create());
}
inline Result<void> ipc_send(Handle endpoint, const abi::Message& message) {
  return detail::to_void(raw::ipc_send(endpoint, &message));
}
inline Result<void> ipc_recv(Handle endpoint, abi::Message& message,
                             uint64_t timeout_ns = kForever) {
  return detail::to_void(raw::ipc_recv(endpoint, &message, timeout_ns));
}
/// Sends `message` and waits for the reply, which overwrites it.
inline Result<void> ipc_call(Handle endpoint, abi::Message& message) {
  return detail::to_void(raw::ipc_call(endpoint, &message));
}
/// Replies to the last call received and waits for the next message, in one system call.
inline Result<void> ipc_reply_recv(Handle endpoint, abi::Message& message,
                                   uint64_t timeout_ns = kForever) {
  return detail::to_void(raw::ipc_reply_recv(endpoint, &message, timeout_ns));
}
inline Result<void> ipc_reply(const abi::Message& message) {
  return detail::to_void(raw::ipc_reply(&message));
}

// Notifications.

inline Result<Handle> notification_create() {
  return detail::to_handle(raw::notification_create());
}
inline Result<void> notification_signal(Handle notification, uint64_t bits) {
  return detail::to_void(raw::notification_signal(notification, bits));
}
/// The bits that were pending (now cleared), or kTimedOut.
inline Result<uint64_t> notification_wait(Handle notification, uint64_t timeout_ns = kForever) {
  return detail::to_value(raw::notification_wait(notification, timeout_ns));
}

// Handles.

inline Result<Handle> handle_duplicate(Handle handle, uint32_t rights, uint64_t badge = 0) {
  return detail::to_handle(raw::handle_duplicate(handle, rights, badge));
}
inline Result<void> handle_close(Handle handle) {
  return detail::to_void(raw::handle_close(handle));
}
inline Result<void> handle_revoke(Handle handle) {
  return detail::to_void(raw::handle_revoke(handle));
}
inline Result<abi::HandleInfo> handle_info(Handle handle) {
  abi::HandleInfo info{};
  int64_t word = raw::handle_info(handle, &info);
  return detail::to_struct(word, info);
}

// Tasks and threads.

inline Result<Handle> task_create(Handle pager_endpoint, Handle death_notification,
                                  uint64_t death_bits) {
  return detail::to_handle(raw::task_create(pager_endpoint, death_notification, death_bits));
}
/// A thread of `task` that will start at `entry` with rsp = stack_top and rdi = argument.
inline Result<Handle> thread_create(Handle task, uint64_t entry, uint64_t stack_top,
                                    uint64_t argument) {
  return detail::to_handle(raw::thread_create(task, entry, stack_top, argument));
}
inline Result<void> thread_start(Handle thread, uint32_t priority = abi::kPriorityDefault) {
  return detail::to_void(raw::thread_start(thread, priority));
}
/// Stops a thread at a clean user state. A thread blocked in a wait that nothing has taken
/// yet (notification_wait, ipc_recv, the send phase of ipc_send/ipc_call, a timed wait) is
/// taken out of it and rewound to restart that system call when resumed (timeouts restart
/// in full). A thread waiting for the reply to a call stops only once the reply came:
/// kBusy until then (the suspension is pending; call again to learn when it has stopped).
inline Result<void> thread_suspend(Handle thread) {
  return detail::to_void(raw::thread_suspend(thread));
}
inline Result<void> thread_resume(Handle thread) {
  return detail::to_void(raw::thread_resume(thread));
}
inline Result<void> thread_read_state(Handle thread, abi::ThreadState& out) {
  return detail::to_void(raw::thread_read_state(thread, &out));
}
inline Result<void> thread_write_state(Handle thread, const abi::ThreadState& in) {
  return detail::to_void(raw::thread_write_state(thread, &in));
}
inline Result<void> task_kill(Handle task, int64_t code) {
  return detail::to_void(raw::task_kill(task, code));
}
inline Result<abi::TaskStatus> task_status(Handle task) {
  abi::TaskStatus status{};
  int64_t word = raw::task_status(task, &status);
  return detail::to_struct(word, status);
}
inline Result<abi::ThreadStats> thread_stats(Handle thread) {
  abi::ThreadStats stats{};
  int64_t word = raw::thread_stats(thread, &stats);
  return detail::to_struct(word, stats);
}
/// Copies `handle` (with at most `rights`) into `task`'s table; returns its value there.
inline Result<Handle> handle_transfer(Handle task, Handle handle, uint32_t rights) {
  return detail::to_handle(raw::handle_transfer(task, handle, rights));
}
/// Lists up to `max` (<= abi::kTaskHandlesMax) handles of `task` whose value is above
/// `after_value`, in increasing value order; the count. Page on with the last value listed.
/// Revoked handles are listed too, flagged abi::kHandleRevoked.
inline Result<uint64_t> task_handles(Handle task, uint32_t after_value, abi::HandleListEntry* out,
                                     uint64_t max) {
  return detail::to_value(raw::task_handles(task, after_value, out, max));
}
/// As handle_transfer, but the copy gets exactly `value` (slot and generation) in `task`:
/// kAlreadyExists if that slot is in use, kInvalidArgument if `value` cannot be a handle.
inline Result<void> handle_install(Handle task, Handle handle, uint32_t rights, Handle value) {
  return detail::to_void(raw::handle_install(task, handle, rights, value));
}

// Memory (the memory manager's primitives).

inline Result<void> vm_map_zeroed(Handle task, uint64_t vaddr, uint64_t pages, uint32_t flags) {
  return detail::to_void(raw::vm_map_zeroed(task, vaddr, pages, flags));
}
inline Result<void> vm_share(Handle from_task, uint64_t from_vaddr, Handle to_task,
                             uint64_t to_vaddr, uint64_t pages, uint32_t flags) {
  return detail::to_void(raw::vm_share(from_task, from_vaddr, to_task, to_vaddr, pages, flags));
}
/// The number of pages that were mapped.
inline Result<uint64_t> vm_unmap(Handle task, uint64_t vaddr, uint64_t pages) {
  return detail::to_value(raw::vm_unmap(task, vaddr, pages));
}
inline Result<void> vm_protect(Handle task, uint64_t vaddr, uint64_t pages, uint32_t flags) {
  return detail::to_void(raw::vm_protect(task, vaddr, pages, flags));
}
/// Sets one bit per dirty page in `bitmap` (pages bits) and clears accessed/dirty; the count.
inline Result<uint64_t> vm_take_dirty(Handle task, uint64_t vaddr, uint64_t pages,
                                      uint64_t* bitmap) {
  return detail::to_value(raw::vm_take_dirty(task, vaddr, pages, bitmap));
}
/// Sets one bit per present page in `bitmap`; the count.
inline Result<uint64_t> vm_query(Handle task, uint64_t vaddr, uint64_t pages,
                                 uint64_t* present_bitmap) {
  return detail::to_value(raw::vm_query(task, vaddr, pages, present_bitmap));
}
inline Result<abi::MemoryInfo> memory_info() {
  abi::MemoryInfo info{};
  int64_t word = raw::memory_info(&info);
  return detail::to_struct(word, info);
}
/// The kernel ABI version and the node's load (run-queue length, averaged).
inline Result<abi::SystemInfo> system_info() {
  abi::SystemInfo info{};
  int64_t word = raw::system_info(&info);
  return detail::to_struct(word, info);
}

// Devices (user drivers).

inline Result<void> irq_bind(Handle irq, Handle notification, uint64_t bits) {
  return detail::to_void(raw::irq_bind(irq, notification, bits));
}
inline Result<void> irq_ack(Handle irq) {
  return detail::to_void(raw::irq_ack(irq));
}
inline Result<void> ioport_enable(Handle ioports) {
  return detail::to_void(raw::ioport_enable(ioports));
}
/// Maps `pages` fresh, zeroed, physically contiguous pages into `task` at `vaddr` and returns
/// the physical address of the first, for a device's DMA. Needs the DMA capability.
inline Result<uint64_t> vm_map_dma(Handle dma, Handle task, uint64_t vaddr, uint64_t pages,
                                   uint32_t flags) {
  return detail::to_value(raw::vm_map_dma(dma, task, vaddr, pages, flags));
}

}  // namespace atoll_os::user
