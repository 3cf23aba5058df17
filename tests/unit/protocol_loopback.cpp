// The host tests' definitions of the protocol transport (user programs link
// libipc/src/protocols/transport.cpp instead).
#include "protocol_loopback.h"

namespace atoll_os::protocols {

Result<void> transport_call(Handle, abi::Message& message) {
  testing::last_sent = message;
  if (!testing::loopback_server) return Err(Error::kBadHandle);
  testing::loopback_server(message);
  return success();
}

Result<void> transport_send(Handle, const abi::Message& message) {
  testing::last_sent = message;
  if (!testing::loopback_server) return Err(Error::kBadHandle);
  abi::Message copy = message;
  testing::loopback_server(copy);
  return success();
}

}  // namespace atoll_os::protocols
