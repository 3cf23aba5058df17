// The kernel command line: `key=value`, bare flags and `key="quoted value"` options.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/result.h"

namespace atoll_os::kernel {

/// Parsed view of a command line. It refers into the parsed text, which must outlive it.
class CommandLine {
 public:
  static constexpr size_t kMaxOptions = 32;
  static constexpr size_t kMaxKeyLength = 64;

  struct Option {
    std::string_view key;
    std::string_view value;  // empty for a bare flag
  };

  /// Splits `text` on spaces/tabs. Errors: kBadFormat for an unterminated quote, an empty
  /// key ("=x") or a key longer than kMaxKeyLength; kOutOfRange for more than kMaxOptions.
  /// A later option with the same key overrides an earlier one.
  static Result<CommandLine> parse(std::string_view text);

  /// True if `key` is present, as a flag or with a value.
  bool has(std::string_view key) const;
  /// The value of `key` (empty for a flag); kNotFound if absent.
  Result<std::string_view> value(std::string_view key) const;
  /// The value of `key` as an unsigned number, decimal or 0x-prefixed hex; kNotFound if
  /// absent, kBadFormat if not a number or it overflows 64 bits.
  Result<uint64_t> number(std::string_view key) const;

  size_t size() const { return count_; }
  const Option& at(size_t i) const { return options_[i]; }

 private:
  Option options_[kMaxOptions] = {};
  size_t count_ = 0;
};

}  // namespace atoll_os::kernel
