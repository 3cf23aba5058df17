// The IPC fastpaths: call to a waiting server and reply-then-receive, for small plain
// messages, with a direct hand-off of the CPU. Everything unusual takes the general path.
#include "atoll/abi/process.h"
#include "mm/user_access.h"
#include "object/endpoint.h"
#include "object/task.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

using abi::MessageHeader;
constexpr uint64_t kHeaderSize = sizeof(MessageHeader);

// The sender's header, read in place, if the whole message lies in one page and is plain:
// no handles, no flags, a legal length.
const MessageHeader* plain_message(Task& task, uint64_t buffer) {
  if (buffer % kPageSize + kHeaderSize > kPageSize || buffer % alignof(MessageHeader) != 0) {
    return nullptr;
  }
  uint8_t* from = user_pointer(task, buffer, false);
  if (from == nullptr) return nullptr;
  auto* h = reinterpret_cast<const MessageHeader*>(from);
  bool plain = h->handle_count == 0 && h->flags == 0 && h->length <= abi::kMessagePayloadMax &&
               buffer % kPageSize + kHeaderSize + h->length <= kPageSize;
  return plain ? h : nullptr;
}

// Where a message of `length` bytes lands in `receiver`'s buffer, if in one writable page.
uint8_t* landing(Thread& receiver, uint64_t length) {
  uint64_t buffer = receiver.ipc.buffer;
  if (buffer % kPageSize + kHeaderSize + length > kPageSize) return nullptr;
  if (buffer % alignof(MessageHeader) != 0) return nullptr;  // the header is written in place
  return user_pointer(*receiver.task(), buffer, true);
}

// Writes the receiver's header in place: a plain message has no handles, flags or grant.
// The two buffers may overlap (two threads of one task), so the sender's fields are read
// before anything is written, and the payload moves with memmove.
void copy_message(uint8_t* to, const MessageHeader& h, uint64_t badge) {
  uint64_t label = h.label;
  uint32_t length = h.length;
  __builtin_memmove(to + kHeaderSize, reinterpret_cast<const uint8_t*>(&h) + kHeaderSize, length);
  auto* out = reinterpret_cast<MessageHeader*>(to);
  static_assert(sizeof(MessageHeader) == 64 && alignof(MessageHeader) == 8);
  out->label = label;
  out->length = length;
  out->handle_count = 0;
  out->flags = 0;
  out->reserved = 0;
  out->badge = badge;
  __builtin_memset(out->handles, 0, sizeof(out->handles));
  out->grant_address = 0;
  out->grant_length = 0;
}

}  // namespace

bool Endpoint::call_fast(Thread& caller, uint64_t badge, uint64_t buffer, int64_t& result) {
  Thread* receiver = receivers_.front();
  if (receiver == nullptr || !can_switch_directly(*receiver)) return false;
  const MessageHeader* h = plain_message(*caller.task(), buffer);
  if (h == nullptr) return false;
  uint8_t* to = landing(*receiver, h->length);
  if (to == nullptr) return false;
  take(receivers_);
  copy_message(to, *h, badge);
  cancel_timeout(*receiver);
  receiver->ipc.result = 0;
  caller.ipc.buffer = buffer;
  caller.ipc.is_call = true;
  caller.ipc.is_fault = false;
  caller.retain();  // the reply the receiver now owes holds the caller
  receiver->ipc.caller = &caller;
  caller.ipc.callee = receiver;
  result = block_and_switch_to(ThreadState::kBlockedReply, *receiver);
  return true;
}

bool Endpoint::reply_receive_fast(Thread& server, uint64_t buffer, uint64_t timeout_ns,
                                  int64_t& result) {
  Thread* caller = server.ipc.caller;
  if (caller == nullptr || timeout_ns != abi::kForever || !senders_.empty()) return false;
  if (caller->state() != ThreadState::kBlockedReply || caller->ipc.callee != &server ||
      caller->ipc.is_fault || !can_switch_directly(*caller)) {
    return false;
  }
  const MessageHeader* h = plain_message(*server.task(), buffer);
  if (h == nullptr || h->grant_address % kPageSize != 0 || h->grant_length % kPageSize != 0) {
    return false;
  }
  uint8_t* to = landing(*caller, h->length);
  if (to == nullptr) return false;
  server.ipc.header = *h;  // its grant window for the receive, read before any write
  copy_message(to, *h, 0);
  server.ipc.buffer = buffer;
  server.ipc.caller = nullptr;
  caller->ipc.callee = nullptr;
  caller->ipc.result = 0;
  caller->release();  // the reply's reference; its task still holds one
  put(receivers_, server, false);
  result = block_and_switch_to(ThreadState::kBlockedReceive, *caller);
  return true;
}

}  // namespace atoll_os::kernel
