// IPC helpers for user programs: building messages, a client call, and a server loop.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::user {

/// Resets `message` to `label` with a copy of `payload`: no handles, no grant, no flags.
/// kInvalidArgument if `length` exceeds kMessagePayloadMax (the message is then untouched).
Result<void> set_message(abi::Message& message, uint64_t label, const void* payload, size_t length);

/// Sends `label` + `payload` to `endpoint` and waits for the reply, which lands in `reply`
/// (its label is the protocol's status; interpreting it is the caller's business).
Result<void> call(Handle endpoint, uint64_t label, const void* payload, size_t length,
                  abi::Message& reply);

/// What a serve() handler wants done with the message it was given.
enum class Disposition {
  kReply,    // the handler rewrote the message as the reply (set_message): send it
  kNoReply,  // a one-way message (ipc_send). A thread owes at most one reply: receiving
             // the next message drops an unanswered call, whose caller gets kNotFound.
};

/// A server loop on `endpoint`: receives a message, calls `handler(abi::Message&)`, replies
/// when it returns Disposition::kReply (and waits for the next message in the same system
/// call, ipc_reply_recv). Returns only when receiving fails (the endpoint is gone).
///
/// A reply must not carry the request's handles back by accident: build it with
/// set_message, which clears handle_count. A reply that cannot be delivered (the caller
/// died) is not an error of the server: the loop goes on receiving.
template <typename Handler>
Result<void> serve(Handle endpoint, Handler&& handler) {
  // The header a receive starts from names its grant window: none here (the kernel refuses
  // a misaligned one, so what the stack happened to hold must not reach it).
  abi::Message message{};
  TRY(ipc_recv(endpoint, message, kForever));
  for (;;) {
    Disposition disposition = handler(message);
    message.header.grant_address = 0;
    message.header.grant_length = 0;
    if (disposition == Disposition::kReply && ipc_reply_recv(endpoint, message, kForever).ok()) {
      continue;
    }
    TRY(ipc_recv(endpoint, message, kForever));
  }
}

}  // namespace atoll_os::user
