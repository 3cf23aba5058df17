// An IPC endpoint: the rendezvous point of senders and receivers.
#pragma once

#include "object/kernel_object.h"
#include "object/thread.h"

namespace atoll_os::kernel {

/// Synchronous rendezvous: a sender waits for a receiver and vice versa, each in FIFO
/// order. A message is copied once, from the sender's memory to the receiver's.
class Endpoint final : public KernelObject {
 public:
  static Result<Endpoint*> create();

  /// The current thread sends (call: and then waits for the reply). Its ipc.header holds
  /// the validated header, ipc.buffer the message address, ipc.badge the handle's badge.
  /// Returns the system call's result.
  /// `via` is the revocation node of the handle it sends through: revoking that handle's
  /// chain takes it off the queue again (cancel_revoked_senders).
  int64_t send(Thread& sender, uint64_t timeout_ns, RevocationNode* via);
  /// The current thread receives into ipc.buffer (ipc.header holds its grant window).
  int64_t receive(Thread& receiver, uint64_t timeout_ns);

  /// The fastpaths: a call to a waiting receiver, and a reply to a waiting caller followed
  /// by a receive that must block, each for a small message without handles or grants and
  /// a partner that may run at once. They hand the CPU straight to the partner. They
  /// return false, changing nothing, whenever any condition fails; the caller then takes
  /// the general path, which handles every case (and reports every error).
  bool call_fast(Thread& caller, uint64_t badge, uint64_t buffer, int64_t& result);
  bool reply_receive_fast(Thread& server, uint64_t buffer, uint64_t timeout_ns, int64_t& result);

  /// Takes a blocked thread off this endpoint's queues (timeout, kill).
  void unlink(Thread& thread);
  /// Wakes, with kBadHandle and nothing delivered, every queued sender whose handle was
  /// revoked: a revoked path must not leave callers waiting on a receiver that is gone.
  void cancel_revoked_senders();

 private:
  Endpoint() : KernelObject(abi::ObjectType::kEndpoint) {}
  ~Endpoint() override;

  using Queue = IntrusiveList<Thread, &Thread::wait_link>;
  void put(Queue& queue, Thread& thread, bool front);
  Thread* take(Queue& queue);
  void forget_via(Thread& thread);

  Queue senders_;
  Queue receivers_;
};

/// Answers the call `replier` owes (ipc.caller) with the message at replier's ipc.buffer.
/// kNotFound if it owes none or the caller is gone.
int64_t ipc_reply(Thread& replier);
/// Undoes every IPC relationship of a dying thread: queues, pending replies, callers.
void ipc_abandon(Thread& thread);

}  // namespace atoll_os::kernel
