// Parsing of command-line numbers and sizes for user programs, over atoll/text.h.
#include "atoll/user/parse.h"

#include "atoll/text.h"
#include "atoll/user/cstring.h"

namespace atoll_os::user {
namespace {

// The runtime's contract (parse.h) says kInvalidArgument for text that is not a number.
Result<uint64_t> runtime_error(Error e) {
  return Err(e == Error::kOutOfRange ? e : Error::kInvalidArgument);
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
  auto value = text::parse_unsigned(std::string_view(text, strlen(text)));
  return value.ok() ? value : runtime_error(value.error());
}

Result<uint64_t> parse_size(const char* text) {
  if (text == nullptr) return Err(Error::kInvalidArgument);
  std::string_view rest(text, strlen(text));
  auto number = text::take_unsigned(rest);
  if (!number.ok()) return runtime_error(number.error());
  uint64_t value = *number;
  if (rest.empty()) return value;
  uint64_t multiplier = size_suffix(rest[0]);
  if (multiplier == 0 || rest.size() != 1) return Err(Error::kInvalidArgument);
  if (value > UINT64_MAX / multiplier) return Err(Error::kOutOfRange);
  return value * multiplier;
}

}  // namespace atoll_os::user
