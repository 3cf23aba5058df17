// Bounds-checked appends to the argument block of a ProcessStart page.
#include "start_arguments.h"

#include "atoll/protocols/pm.h"

namespace atoll_os::servers {

Result<void> ArgumentWriter::add(std::string_view argument) {
  for (char c : argument) {
    if (c == '\0') return Err(Error::kInvalidArgument);
  }
  if (argument.size() + 1 > sizeof(start_.arguments) - used_) return Err(Error::kOutOfRange);
  __builtin_memcpy(start_.arguments + used_, argument.data(), argument.size());
  start_.arguments[used_ + argument.size()] = '\0';
  used_ += argument.size() + 1;
  ++start_.argc;
  return success();
}

Result<void> ArgumentWriter::add_capability(std::string_view name, uint32_t value) {
  char text[64];
  constexpr std::string_view kPrefix = protocols::pm::kCapabilityPrefix;
  char digits[10];
  size_t digit_count = 0;
  do {
    digits[digit_count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  if (kPrefix.size() + name.size() + 1 + digit_count > sizeof(text)) {
    return Err(Error::kInvalidArgument);
  }
  size_t n = 0;
  for (char c : kPrefix) text[n++] = c;
  for (char c : name) text[n++] = c;
  text[n++] = '=';
  while (digit_count > 0) text[n++] = digits[--digit_count];
  return add({text, n});
}

Result<void> ArgumentWriter::add_packed(const char* block, size_t bytes, uint32_t count) {
  // Check the whole block first, so that a bad one adds nothing.
  size_t strings = 0;
  for (size_t i = 0; i < bytes; ++i) {
    if (block[i] == '\0') ++strings;
  }
  if (strings != count || (bytes > 0 && block[bytes - 1] != '\0')) {
    return Err(Error::kInvalidArgument);
  }
  if (bytes > sizeof(start_.arguments) - used_) return Err(Error::kOutOfRange);
  size_t start = 0;
  for (size_t i = 0; i < bytes; ++i) {
    if (block[i] != '\0') continue;
    TRY(add({block + start, i - start}));
    start = i + 1;
  }
  return success();
}

Result<void> pack_spawn_arguments(const std::string_view* arguments, size_t count,
                                  protocols::pm::SpawnRequest& request) {
  size_t used = 0;
  for (size_t i = 0; i < count; ++i) {
    std::string_view argument = arguments[i];
    for (char c : argument) {
      if (c == '\0') return Err(Error::kInvalidArgument);
    }
    if (argument.size() + 1 > sizeof(request.arguments) - used) return Err(Error::kOutOfRange);
    __builtin_memcpy(request.arguments + used, argument.data(), argument.size());
    request.arguments[used + argument.size()] = '\0';
    used += argument.size() + 1;
  }
  request.argument_count = static_cast<uint32_t>(count);
  request.argument_bytes = static_cast<uint32_t>(used);
  return success();
}

std::string_view argument_value(int argc, char* const* argv, std::string_view key) {
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=') {
      return word.substr(key.size() + 1);
    }
  }
  return {};
}

}  // namespace atoll_os::servers
