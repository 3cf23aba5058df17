// The protocol clients' transport in user programs: ipc_call and ipc_send.
#include "atoll/protocols/protocol.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::protocols {

Result<void> transport_call(Handle endpoint, abi::Message& message) {
  return user::ipc_call(endpoint, message);
}

Result<void> transport_send(Handle endpoint, const abi::Message& message) {
  return user::ipc_send(endpoint, message);
}

}  // namespace atoll_os::protocols
