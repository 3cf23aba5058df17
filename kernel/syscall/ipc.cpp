// System calls: endpoints, messages and notifications.
#include "mm/user_access.h"
#include "object/endpoint.h"
#include "object/message_transfer.h"
#include "object/notification.h"
#include "object/task.h"
#include "sched/scheduler.h"
#include "syscall/syscall.h"

namespace atoll_os::kernel {
namespace {

constexpr uint32_t kNewObjectRights =
    abi::kRightRead | abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer;

template <typename T>
int64_t add_new_object(Result<T*> created) {
  if (!created.ok()) return -int64_t(created.error());
  T* object = *created;
  auto handle = current_task().handles().add(object, kNewObjectRights, 0, nullptr);
  object->release();  // the table holds it now (or nobody, on failure)
  return syscall_result(handle);
}

// Copies the message header at `buffer` into the thread's IPC state.
Result<void> read_header(Thread& self, uint64_t buffer) {
  constexpr uint64_t kSize = sizeof(abi::MessageHeader);
  if (buffer % kPageSize + kSize <= kPageSize) {  // the usual case: one page, one lookup
    uint8_t* header = user_pointer(*self.task(), buffer, false);
    if (header == nullptr) return Err(Error::kInvalidArgument);
    __builtin_memcpy(&self.ipc.header, header, kSize);
    return success();
  }
  return copy_from_user(*self.task(), buffer, &self.ipc.header, kSize);
}

// Reads and checks the caller's message header and records what it sends.
Result<void> prepare_send(Thread& self, uint64_t buffer, uint64_t badge, bool is_call) {
  TRY(read_header(self, buffer));
  TRY(validate_send_header(self.ipc.header));
  self.ipc.buffer = buffer;
  self.ipc.badge = badge;
  self.ipc.is_call = is_call;
  self.ipc.is_fault = false;
  return success();
}

// Records where a receive lands and the grant window the caller offers, from the header
// already read into the thread's IPC state.
Result<void> prepare_receive_from_header(Thread& self, uint64_t buffer) {
  const abi::MessageHeader& header = self.ipc.header;
  if (header.grant_address % kPageSize != 0 || header.grant_length % kPageSize != 0) {
    return Err(Error::kInvalidArgument);
  }
  self.ipc.buffer = buffer;
  return success();
}

Result<void> prepare_receive(Thread& self, uint64_t buffer) {
  TRY(read_header(self, buffer));
  return prepare_receive_from_header(self, buffer);
}

// The endpoint objects below are used without an extra reference: the caller's handle
// keeps them alive until the thread blocks, and a queued thread holds its own.
int64_t send_through(uint64_t handle, uint64_t buffer, bool is_call) {
  Thread& self = current_thread();
  auto entry =
      current_task().handles().lookup(handle, abi::ObjectType::kEndpoint, abi::kRightWrite);
  if (!entry.ok()) return -int64_t(entry.error());
  auto* endpoint = static_cast<Endpoint*>((*entry)->object);
  int64_t result;
  if (is_call && endpoint->call_fast(self, (*entry)->badge, buffer, result)) return result;
  if (auto ready = prepare_send(self, buffer, (*entry)->badge, is_call); !ready.ok()) {
    return syscall_result(ready);
  }
  return endpoint->send(self, abi::kForever, (*entry)->node);
}

int64_t receive_on(uint64_t handle, uint64_t buffer, uint64_t timeout_ns) {
  Thread& self = current_thread();
  auto entry = current_task().handles().lookup(handle, abi::ObjectType::kEndpoint, abi::kRightRead);
  if (!entry.ok()) return -int64_t(entry.error());
  auto* endpoint = static_cast<Endpoint*>((*entry)->object);
  if (auto ready = prepare_receive(self, buffer); !ready.ok()) return syscall_result(ready);
  return endpoint->receive(self, timeout_ns);
}

// Sends the reply whose header is already in the thread's IPC state.
int64_t reply_from_header(Thread& self, uint64_t buffer) {
  if (auto valid = validate_send_header(self.ipc.header); !valid.ok()) return syscall_result(valid);
  if (self.ipc.header.flags & abi::kMessageGrant) return -int64_t(Error::kNotSupported);
  self.ipc.buffer = buffer;
  self.ipc.badge = 0;
  self.ipc.is_call = false;
  self.ipc.is_fault = false;
  return ipc_reply(self);
}

int64_t reply_with(uint64_t buffer) {
  Thread& self = current_thread();
  if (auto read = read_header(self, buffer); !read.ok()) return syscall_result(read);
  return reply_from_header(self, buffer);
}

}  // namespace

int64_t sys_endpoint_create(const SyscallArgs&) {
  return add_new_object(Endpoint::create());
}

int64_t sys_ipc_send(const SyscallArgs& args) {
  return send_through(args.a0, args.a1, false);
}

int64_t sys_ipc_call(const SyscallArgs& args) {
  return send_through(args.a0, args.a1, true);
}

int64_t sys_ipc_recv(const SyscallArgs& args) {
  return receive_on(args.a0, args.a1, args.a2);
}

int64_t sys_ipc_reply(const SyscallArgs& args) {
  return reply_with(args.a0);
}

// One header read and one handle lookup serve both halves: the reply's header also carries
// the grant window of the receive that follows.
int64_t sys_ipc_reply_recv(const SyscallArgs& args) {
  Thread& self = current_thread();
  // A bad endpoint is reported before the reply goes, so the reply is not lost with it.
  auto entry =
      current_task().handles().lookup(args.a0, abi::ObjectType::kEndpoint, abi::kRightRead);
  if (!entry.ok()) return -int64_t(entry.error());
  auto* endpoint = static_cast<Endpoint*>((*entry)->object);
  int64_t result;
  if (endpoint->reply_receive_fast(self, args.a1, args.a2, result)) return result;
  if (auto read = read_header(self, args.a1); !read.ok()) return syscall_result(read);
  if (self.ipc.caller != nullptr) {
    int64_t replied = reply_from_header(self, args.a1);
    if (replied < 0 && replied != -int64_t(Error::kNotFound)) return replied;
    // The reply may have moved the handle we receive on: receive only if we still hold it.
    auto still_held =
        current_task().handles().lookup(args.a0, abi::ObjectType::kEndpoint, abi::kRightRead);
    if (!still_held.ok()) return -int64_t(still_held.error());
    endpoint = static_cast<Endpoint*>((*still_held)->object);
  }
  if (auto ready = prepare_receive_from_header(self, args.a1); !ready.ok()) {
    return syscall_result(ready);
  }
  return endpoint->receive(self, args.a2);
}

int64_t sys_notification_create(const SyscallArgs&) {
  return add_new_object(Notification::create());
}

int64_t sys_notification_signal(const SyscallArgs& args) {
  auto entry =
      current_task().handles().lookup(args.a0, abi::ObjectType::kNotification, abi::kRightWrite);
  if (!entry.ok()) return -int64_t(entry.error());
  if (args.a1 >> 63) return -int64_t(Error::kInvalidArgument);  // bit 63 would read as an error
  static_cast<Notification*>((*entry)->object)->signal(args.a1);
  return 0;
}

int64_t sys_notification_wait(const SyscallArgs& args) {
  auto entry =
      current_task().handles().lookup(args.a0, abi::ObjectType::kNotification, abi::kRightRead);
  if (!entry.ok()) return -int64_t(entry.error());
  // No reference held across the wait: a waiter holds its own while queued, wait() touches
  // nothing of the notification after blocking, and a thread that dies blocked never
  // unwinds its kernel stack, so a reference kept there would never be released.
  auto* notification = static_cast<Notification*>((*entry)->object);
  uint64_t bits = 0;
  int64_t result = notification->wait(current_thread(), args.a1, bits);
  return result < 0 ? result : int64_t(bits);
}

}  // namespace atoll_os::kernel
