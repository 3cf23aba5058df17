// The one error enum shared by the kernel, the servers and the host tools.
#pragma once

#include <stdint.h>

namespace atoll_os {

// Numeric values are ABI: system calls return them negated. Append only.
enum class Error : int32_t {
  kOk = 0,
  kInvalidArgument = 1,  // a malformed argument: bad flags, misaligned address, bad length
  kOutOfMemory = 2,      // no frame, heap block or table slot left
  kNotFound = 3,         // no such key, handle, mapping or symbol
  kAlreadyExists = 4,    // mapping or entry already present
  kOutOfRange = 5,       // value or address outside what the object covers
  kBadFormat = 6,        // a decoder met data that violates its format
  kTruncated = 7,        // a decoder ran out of input
  kBusy = 8,             // resource in use
  kAccessDenied = 9,     // the handle lacks the right for this operation
  kBadHandle = 10,       // the handle does not name a live object
  kTimedOut = 11,
  kNotSupported = 12,
};

/// A short, stable, lower-case name for logs and JSON replies.
constexpr const char* error_name(Error e) {
  switch (e) {
    case Error::kOk: return "ok";
    case Error::kInvalidArgument: return "invalid_argument";
    case Error::kOutOfMemory: return "out_of_memory";
    case Error::kNotFound: return "not_found";
    case Error::kAlreadyExists: return "already_exists";
    case Error::kOutOfRange: return "out_of_range";
    case Error::kBadFormat: return "bad_format";
    case Error::kTruncated: return "truncated";
    case Error::kBusy: return "busy";
    case Error::kAccessDenied: return "access_denied";
    case Error::kBadHandle: return "bad_handle";
    case Error::kTimedOut: return "timed_out";
    case Error::kNotSupported: return "not_supported";
  }
  return "unknown";
}

}  // namespace atoll_os
