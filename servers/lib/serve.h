// Running a generated protocol dispatch inside the runtime's server loop, leak-free.
#pragma once

#include "atoll/protocols/protocol.h"
#include "atoll/user/ipc.h"

namespace atoll_os::servers {

/// Closes what a call left behind: received handles no handler took, reply handles that an
/// error reply did not carry, granted pages no handler kept. Every handle a client moves to a
/// server ends here or in a table that counts it against that client.
void release_call_handles(protocols::Call& call);

/// Handles one received message with `dispatch(message, call) -> protocols::Answer` (a
/// generated protocols::X::dispatch bound to a handler) and tells user::serve what to do.
template <typename Dispatch>
user::Disposition handle_request(abi::Message& message, Dispatch&& dispatch) {
  protocols::Call call;
  protocols::begin_call(message, call);
  protocols::Answer answer = dispatch(message, call);
  release_call_handles(call);
  return answer == protocols::Answer::kReply ? user::Disposition::kReply
                                             : user::Disposition::kNoReply;
}

}  // namespace atoll_os::servers
