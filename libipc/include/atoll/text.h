// Small text helpers shared by the kernel, the servers and the runtime: words and numbers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/result.h"

namespace atoll_os::text {

constexpr bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

/// Removes and returns the next blank-separated word of `line`; empty at the end.
inline std::string_view take_word(std::string_view& line) {
  while (!line.empty() && is_blank(line[0])) line.remove_prefix(1);
  size_t length = 0;
  while (length < line.size() && !is_blank(line[length])) ++length;
  std::string_view word(line.data(), length);
  line.remove_prefix(length);
  return word;
}

/// Consumes the unsigned number at the start of `text`: decimal, or hexadecimal after
/// "0x"/"0X", up to the first character that is not a digit. kBadFormat if there is no
/// digit, kOutOfRange if the value exceeds 2^64 - 1.
inline Result<uint64_t> take_unsigned(std::string_view& text) {
  uint64_t base = 10;
  // Not starts_with(): libstdc++ builds it on substr(), which can throw, at -O0.
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  uint64_t value = 0;
  size_t used = 0;
  for (; used < text.size(); ++used) {
    char c = text[used];
    int digit = c >= '0' && c <= '9'                 ? c - '0'
                : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                     : -1;
    if (digit < 0) break;
    if (value > (UINT64_MAX - uint64_t(digit)) / base) return Err(Error::kOutOfRange);
    value = value * base + uint64_t(digit);
  }
  if (used == 0) return Err(Error::kBadFormat);
  text.remove_prefix(used);
  return value;
}

/// The unsigned number that is the whole of `text` (as take_unsigned); kBadFormat if
/// anything follows it.
inline Result<uint64_t> parse_unsigned(std::string_view text) {
  uint64_t value = TRY(take_unsigned(text));
  if (!text.empty()) return Err(Error::kBadFormat);
  return value;
}

}  // namespace atoll_os::text
