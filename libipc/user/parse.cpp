// Parsing of command-line numbers: decimal or hexadecimal, with overflow detection.
#include "atoll/user/parse.h"

namespace atoll_os::user {
namespace {

// Value of `c` as a digit in `base` (10 or 16), or -1.
int digit_value(char c, unsigned base) {
  if (c >= '0' && c <= '9') return c - '0';
  if (base == 16 && c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (base == 16 && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses the digits at `text`, stopping at the first non-digit, which `end` then points to.
Result<uint64_t> parse_prefix(const char* text, const char*& end) {
  unsigned base = 10;
  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text += 2;
  }
  uint64_t value = 0;
  const char* p = text;
  for (int digit; (digit = digit_value(*p, base)) >= 0; ++p) {
    if (value > (UINT64_MAX - static_cast<uint64_t>(digit)) / base) return Err(Error::kOutOfRange);
    value = value * base + static_cast<uint64_t>(digit);
  }
  if (p == text) return Err(Error::kInvalidArgument);  // no digits at all
  end = p;
  return value;
}

// The multiplier a size suffix stands for, or 0 if `c` is not one.
uint64_t size_suffix(char c) {
  switch (c) {
    case 'k':
    case 'K': return uint64_t{1} << 10;
    case 'm':
    case 'M': return uint64_t{1} << 20;
    case 'g':
    case 'G': return uint64_t{1} << 30;
    default: return 0;
  }
}

}  // namespace

Result<uint64_t> parse_unsigned(const char* text) {
  if (text == nullptr) return Err(Error::kInvalidArgument);
  const char* end = text;
  uint64_t value = TRY(parse_prefix(text, end));
  if (*end != '\0') return Err(Error::kInvalidArgument);
  return value;
}

Result<uint64_t> parse_size(const char* text) {
  if (text == nullptr) return Err(Error::kInvalidArgument);
  const char* end = text;
  uint64_t value = TRY(parse_prefix(text, end));
  if (*end == '\0') return value;
  uint64_t multiplier = size_suffix(*end);
  if (multiplier == 0 || end[1] != '\0') return Err(Error::kInvalidArgument);
  if (value > UINT64_MAX / multiplier) return Err(Error::kOutOfRange);
  return value * multiplier;
}

}  // namespace atoll_os::user
