// One page-store request in, one reply out: decoding the body, calling the store, encoding
// the answer. Portable, so that the host tests feed it malformed requests.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "../lib/pagestore_wire.h"
#include "page_store.h"

namespace atoll_os::servers::pagestore {

/// A reply buffer must hold this much: the header and the largest body.
inline constexpr size_t kReplyBufferBytes = kReplyHeaderBytes + kMaxReplyBody;

/// Answers a request whose header decoded: a body that does not decode, or a request the
/// store refuses, gets an error reply with the reason. Returns the reply's length in `reply`
/// (at least kReplyBufferBytes long). The caller serialises calls on one store.
size_t answer_request(PageStore& store, const RequestHeader& header, std::span<const uint8_t> body,
                      std::span<uint8_t> reply);

/// The reply to a header that did not decode: op as it came (so the client sees which
/// request failed), `error` and `reason`, no body. After it the connection must close: the
/// stream cannot be resynchronised.
size_t answer_bad_header(std::span<const uint8_t> header, Error error, const char* reason,
                         std::span<uint8_t> reply);

}  // namespace atoll_os::servers::pagestore
