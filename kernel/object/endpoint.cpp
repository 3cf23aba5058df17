// The IPC rendezvous: senders and receivers meet on an endpoint; calls wait for replies.
#include "object/endpoint.h"

#include <new>

#include "object/handle_table.h"
#include "object/message_transfer.h"
#include "object/notification.h"
#include "object/task.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

void unlink_on_timeout(Thread& t) {
  if (t.ipc.endpoint) t.ipc.endpoint->unlink(t);
}

void wake(Thread& t, int64_t result) {
  cancel_timeout(t);
  t.ipc.result = result;
  make_ready(t);
}

// `receiver` now owes `caller` a reply; the caller waits for it.
void start_reply_wait(Thread& receiver, Thread& caller) {
  caller.retain();
  receiver.ipc.caller = &caller;
  caller.ipc.callee = &receiver;
  caller.set_state(ThreadState::kBlockedReply);
}

// The reply `thread` owed will never come: its caller is told, or killed if it was a fault.
void drop_owed_reply(Thread& thread) {
  Thread* caller = thread.ipc.caller;
  if (caller == nullptr) return;
  thread.ipc.caller = nullptr;
  if (caller->state() == ThreadState::kBlockedReply && caller->ipc.callee == &thread) {
    caller->ipc.callee = nullptr;
    if (caller->ipc.is_fault) {
      caller->task()->terminate(abi::TaskState::kFaulted, -1, caller->ipc.fault.address,
                                caller->ipc.fault.rip);
    } else {
      wake(*caller, -int64_t(Error::kNotFound));
    }
  }
  caller->release();
}

}  // namespace

Result<Endpoint*> Endpoint::create() {
  auto* endpoint = new (std::nothrow) Endpoint;
  if (endpoint == nullptr) return Err(Error::kOutOfMemory);
  return endpoint;
}

// Every queued thread holds a reference to the endpoint, so closing the last handle
// while threads wait cannot free it under them.
Endpoint::~Endpoint() {}

void Endpoint::put(Queue& queue, Thread& thread, bool front) {
  retain();
  thread.ipc.endpoint = this;
  if (front)
    queue.push_front(thread);
  else
    queue.push_back(thread);
}

// A queued sender's reference to the revocation node of its handle, given up as it leaves.
void Endpoint::forget_via(Thread& thread) {
  if (thread.ipc.via == nullptr) return;
  thread.ipc.via->release();
  thread.ipc.via = nullptr;
}

Thread* Endpoint::take(Queue& queue) {
  Thread* thread = queue.pop_front();
  if (thread == nullptr) return nullptr;
  thread->ipc.endpoint = nullptr;
  forget_via(*thread);
  release();  // never the last reference: the running thread's handle holds one
  return thread;
}

void Endpoint::unlink(Thread& thread) {
  if (thread.ipc.endpoint != this) return;
  auto& queue = thread.state() == ThreadState::kBlockedSend ? senders_ : receivers_;
  queue.remove(thread);
  thread.ipc.endpoint = nullptr;
  forget_via(thread);
  release();  // may free the endpoint: nothing touches it after this
}

void Endpoint::cancel_revoked_senders() {
  Thread* thread = senders_.front();
  while (thread != nullptr) {
    Thread* next = senders_.next(*thread);
    if (thread->ipc.via != nullptr && thread->ipc.via->revoked()) {
      senders_.remove(*thread);
      thread->ipc.endpoint = nullptr;
      forget_via(*thread);
      wake(*thread, -int64_t(Error::kBadHandle));
      release();  // never the last reference: the revoker's handle holds one
    }
    thread = next;
  }
}

int64_t Endpoint::send(Thread& sender, uint64_t timeout_ns, RevocationNode* via) {
  while (Thread* receiver = take(receivers_)) {
    bool receiver_fault = false;
    auto delivered = deliver_message(sender, *receiver, receiver_fault);
    if (!delivered.ok() && !receiver_fault) {
      put(receivers_, *receiver, true);  // the sender's mistake: the receiver waits on
      return -int64_t(delivered.error());
    }
    wake(*receiver, delivered.ok() ? 0 : -int64_t(delivered.error()));
    if (!delivered.ok()) continue;  // the receiver could not take it: try the next one
    if (!sender.ipc.is_call) return 0;
    start_reply_wait(*receiver, sender);
    return block_current(ThreadState::kBlockedReply, abi::kForever, nullptr);
  }
  if (timeout_ns == 0) return -int64_t(Error::kTimedOut);
  put(senders_, sender, false);
  if (via != nullptr) via->retain();
  sender.ipc.via = via;
  return block_current(ThreadState::kBlockedSend, timeout_ns, unlink_on_timeout);
}

int64_t Endpoint::receive(Thread& receiver, uint64_t timeout_ns) {
  drop_owed_reply(receiver);
  while (Thread* sender = take(senders_)) {
    bool receiver_fault = false;
    auto delivered = deliver_message(*sender, receiver, receiver_fault);
    if (!delivered.ok() && receiver_fault) {
      put(senders_, *sender, true);  // our buffer is bad: the sender stays queued
      return -int64_t(delivered.error());
    }
    if (!delivered.ok()) {
      wake(*sender, -int64_t(delivered.error()));
      continue;
    }
    cancel_timeout(*sender);
    if (sender->ipc.is_call) {
      start_reply_wait(receiver, *sender);
    } else {
      wake(*sender, 0);
    }
    return 0;
  }
  if (timeout_ns == 0) return -int64_t(Error::kTimedOut);
  put(receivers_, receiver, false);
  return block_current(ThreadState::kBlockedReceive, timeout_ns, unlink_on_timeout);
}

int64_t ipc_reply(Thread& replier) {
  Thread* caller = replier.ipc.caller;
  if (caller == nullptr) return -int64_t(Error::kNotFound);
  replier.ipc.caller = nullptr;
  Ref<Thread> hold = Ref<Thread>::adopt(caller);
  if (caller->state() != ThreadState::kBlockedReply || caller->ipc.callee != &replier) {
    return -int64_t(Error::kNotFound);  // the caller died meanwhile
  }
  caller->ipc.callee = nullptr;
  if (caller->ipc.is_fault) {
    caller->ipc.is_fault = false;
    if (replier.ipc.header.label == abi::kLabelFaultResolved) {
      wake(*caller, 0);
    } else {
      caller->task()->terminate(abi::TaskState::kFaulted, -1, caller->ipc.fault.address,
                                caller->ipc.fault.rip);
    }
    return 0;
  }
  bool receiver_fault = false;
  replier.ipc.badge = 0;
  auto delivered = deliver_message(replier, *caller, receiver_fault);
  wake(*caller, delivered.ok() ? 0 : -int64_t(delivered.error()));
  return receiver_fault || delivered.ok() ? 0 : -int64_t(delivered.error());
}

void ipc_abandon(Thread& thread) {
  if (thread.ipc.endpoint) thread.ipc.endpoint->unlink(thread);
  if (thread.ipc.notification) thread.ipc.notification->unlink(thread);
  cancel_timeout(thread);
  drop_owed_reply(thread);
  thread.ipc.callee = nullptr;
}

}  // namespace atoll_os::kernel
