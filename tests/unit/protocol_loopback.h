// A protocol transport for host tests: client calls go straight into a server's dispatch.
#pragma once

#include <functional>

#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::testing {

/// What the next client call or send is handed to; the test installs it (and clears it).
/// It sees the request in `message` and leaves the reply there, as ipc_call would.
inline std::function<void(abi::Message&)> loopback_server;
/// The last message a client sent, as the kernel would have delivered it.
inline abi::Message last_sent{};

/// Runs `dispatch(message, call)` on a received message like a server loop, closing
/// nothing (the tests look at what is left in the call instead).
template <typename Dispatch>
Answer serve_once(abi::Message& message, Call& call, Dispatch&& dispatch) {
  begin_call(message, call);
  return dispatch(message, call);
}

}  // namespace atoll_os::protocols::testing
