// Message building and the client call helper.
#include "atoll/user/ipc.h"

#include "atoll/user/cstring.h"

namespace atoll_os::user {

Result<void> set_message(abi::Message& message, uint64_t label, const void* payload,
                         size_t length) {
  if (length > abi::kMessagePayloadMax) return Err(Error::kInvalidArgument);
  message.header = abi::MessageHeader{};
  message.header.label = label;
  message.header.length = static_cast<uint32_t>(length);
  if (length != 0) memcpy(message.payload, payload, length);
  return success();
}

Result<void> call(Handle endpoint, uint64_t label, const void* payload, size_t length,
                  abi::Message& reply) {
  TRY(set_message(reply, label, payload, length));
  return ipc_call(endpoint, reply);
}

}  // namespace atoll_os::user
