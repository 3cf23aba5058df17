// Parsing of command-line numbers for user programs.
#pragma once

#include <stdint.h>

#include "atoll/result.h"

namespace atoll_os::user {

/// A decimal, or 0x-prefixed hexadecimal, number that is the whole of `text`.
/// kInvalidArgument for anything else (empty, sign, junk); kOutOfRange above 2^64 - 1.
Result<uint64_t> parse_unsigned(const char* text);

/// A byte count: a number as in parse_unsigned, optionally followed by K, M or G (binary
/// multiples, either case), e.g. "64K", "16M", "0x1000".
Result<uint64_t> parse_size(const char* text);

}  // namespace atoll_os::user
