// Sessions for servers that count what each client holds (net, ipcm): the name service
// hands every client the same unbadged copy of the server's endpoint, so a client first asks
// for a session — a copy with a badge of its own — and calls through it.
#pragma once

#include <stdint.h>

#include "atoll/protocols/protocol.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::servers {

/// Adds to the reply a copy of `endpoint` badged with the next session number (counted in
/// `*last_badge`, which the caller's lock guards).
inline Result<protocols::Empty> open_session(abi::Handle endpoint, uint64_t* last_badge,
                                             protocols::Call& call) {
  Result<abi::Handle> session =
      user::handle_duplicate(endpoint, abi::kRightWrite | abi::kRightTransfer, ++*last_badge);
  if (!session.ok()) return call.fail(session.error(), "no handle left for a session");
  call.reply.add(*session);
  return protocols::Empty{};
}

/// kAccessDenied (with the reason) for a call through the unbadged endpoint.
inline Result<void> require_session(protocols::Call& call) {
  if (call.badge == 0) {
    return call.fail(Error::kAccessDenied, "open a session (open_session) and call through it");
  }
  return success();
}

/// A new endpoint, registered in the name service under `name` (with a copy that lookups
/// can duplicate); fatal if either fails: the server cannot be found without it.
abi::Handle register_service_endpoint(const char* name);
/// The same for an endpoint the server was given (it must hold the duplicate right);
/// returns `endpoint`.
abi::Handle register_endpoint_as(const char* name, abi::Handle endpoint);

}  // namespace atoll_os::servers
