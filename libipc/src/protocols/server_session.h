// How a client library reaches its server: the endpoint registered under the server's name,
// then a session of its own opened through it.
#pragma once

#include "atoll/protocols/names.h"
#include "atoll/protocols/protocol.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::protocols {

/// One lookup of `name` with this process's names server: the server's anonymous endpoint.
/// kNotFound while nothing is registered under it.
inline Result<abi::Handle> look_up_server(const char* name) {
  names::NameRequest request{};
  if (!set_text(request.name, name, __builtin_strlen(name))) return Err(Error::kInvalidArgument);
  names::Client names(user::process_start().names);
  HandleSet handles;
  TRY(names.lookup(request, &handles));
  return handles.take(0);
}

/// Asks the server at its anonymous endpoint `server` for a session and closes that
/// endpoint (whatever the answer): a Client on the session's own endpoint.
template <typename Client>
Result<Client> open_session(abi::Handle server) {
  Client anonymous(server);
  HandleSet handles;
  Result<Empty> opened = anonymous.open_session({}, &handles);
  (void)user::handle_close(anonymous.endpoint());
  TRY(opened);
  return Client(handles.take(0));
}

}  // namespace atoll_os::protocols
