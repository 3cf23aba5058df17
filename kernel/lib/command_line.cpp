// Splitting the kernel command line into options, and reading their values as numbers.
#include "lib/command_line.h"

#include "atoll/text.h"

namespace atoll_os::kernel {
namespace {

using Option = CommandLine::Option;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// A value after '=': either up to the next blank, or between double quotes. A closing quote
// must end the option: `k="a"b` has no sensible meaning, so it is rejected.
Result<std::string_view> take_value(std::string_view& rest) {
  if (rest.empty() || rest[0] != '"') {
    size_t length = 0;
    while (length < rest.size() && !is_blank(rest[length])) ++length;
    std::string_view value(rest.data(), length);
    rest.remove_prefix(length);
    return value;
  }
  rest.remove_prefix(1);
  size_t length = 0;
  while (length < rest.size() && rest[length] != '"') ++length;
  if (length == rest.size()) return Err(Error::kBadFormat);  // unterminated quote
  std::string_view value(rest.data(), length);
  rest.remove_prefix(length + 1);
  if (!rest.empty() && !is_blank(rest[0])) return Err(Error::kBadFormat);
  return value;
}

// Removes one option from the front of `rest`, which starts with a non-blank character.
Result<Option> take_option(std::string_view& rest) {
  size_t key_length = 0;
  while (key_length < rest.size() && rest[key_length] != '=' && !is_blank(rest[key_length])) {
    ++key_length;
  }
  std::string_view key(rest.data(), key_length);
  rest.remove_prefix(key_length);
  if (key.empty() || key.size() > CommandLine::kMaxKeyLength) return Err(Error::kBadFormat);
  if (rest.empty() || rest[0] != '=') return Option{key, {}};
  rest.remove_prefix(1);
  std::string_view value = TRY(take_value(rest));
  return Option{key, value};
}

void skip_blanks(std::string_view& rest) {
  while (!rest.empty() && is_blank(rest[0])) rest.remove_prefix(1);
}

}  // namespace

Result<CommandLine> CommandLine::parse(std::string_view text) {
  CommandLine line;
  for (skip_blanks(text); !text.empty(); skip_blanks(text)) {
    Option option = TRY(take_option(text));
    size_t i = 0;
    while (i < line.count_ && line.options_[i].key != option.key) ++i;
    if (i == line.count_) {
      if (line.count_ == kMaxOptions) return Err(Error::kOutOfRange);
      ++line.count_;
    }
    line.options_[i] = option;  // a repeated key overrides the earlier value in place
  }
  return line;
}

bool CommandLine::has(std::string_view key) const {
  return value(key).ok();
}

Result<std::string_view> CommandLine::value(std::string_view key) const {
  for (size_t i = 0; i < count_; ++i) {
    if (options_[i].key == key) return options_[i].value;
  }
  return Err(Error::kNotFound);
}

Result<uint64_t> CommandLine::number(std::string_view key) const {
  std::string_view word = TRY(value(key));
  auto number = text::parse_unsigned(word);
  if (!number.ok()) return Err(Error::kBadFormat);  // overflow included, as documented
  return number;
}

}  // namespace atoll_os::kernel
