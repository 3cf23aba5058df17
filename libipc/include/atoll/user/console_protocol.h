// The console protocol as print() speaks it: names for the runtime, defined from the one
// declaration in atoll/protocols/console.def (operation `write`, one-way).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/console.h"

namespace atoll_os::protocol {

/// Label of a console write: one-way (ipc_send, no reply) to ProcessStart::console. Payload:
/// `header.length` bytes of text, not NUL-terminated; no handles, no grant. A line may be
/// split over several writes; the badge tells writers apart.
inline constexpr uint64_t kConsoleWrite = static_cast<uint64_t>(protocols::console::Op::write);
inline constexpr size_t kConsoleWriteMax = protocols::console::WriteRequest::kMaximumSize;

static_assert(kConsoleWrite == 0xc0010001, "the console label is ABI: programs already use it");
static_assert(kConsoleWriteMax <= abi::kMessagePayloadMax);

}  // namespace atoll_os::protocol
