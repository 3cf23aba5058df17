// The console protocol: how a process's text output reaches its console server (ctl).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::console {

inline constexpr uint16_t kProtocolId = kConsoleProtocol;

/// `length` bytes of text, not NUL-terminated; the message is as long as the text.
struct WriteRequest {
  static constexpr size_t kMinimumSize = 0;
  static constexpr size_t kMaximumSize = abi::kMessagePayloadMax;
  char text[kMaximumSize];
  size_t length = 0;  // not on the wire: the payload length says it

  size_t payload_length() const { return length; }
};

#define ATOLL_PROTOCOL_DEF "atoll/protocols/console.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::console
