// Splitting ProcessStart::arguments into argv, bounded by the block's size.
#include "arguments.h"

namespace atoll_os::user {

size_t split_arguments(char* block, size_t size, size_t argc, char** argv) {
  size_t count = 0;
  size_t offset = 0;
  while (count < argc && offset < size) {
    size_t end = offset;
    while (end < size && block[end] != '\0') ++end;
    if (end == size) break;  // no NUL before the end of the block: not a string
    argv[count++] = block + offset;
    offset = end + 1;
  }
  argv[count] = nullptr;
  return count;
}

namespace {

constexpr char kDefaultInitName[] = "init";

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// One space-separated word of a bounded string.
struct Word {
  const char* text;
  size_t length;

  bool equals(const char* other) const {
    size_t i = 0;
    for (; i < length; ++i) {
      if (other[i] != text[i]) return false;
    }
    return other[i] == '\0';
  }
  bool starts_with(const char* prefix, size_t prefix_length) const {
    if (length < prefix_length) return false;
    for (size_t i = 0; i < prefix_length; ++i) {
      if (text[i] != prefix[i]) return false;
    }
    return true;
  }
};

// The next word at or after `offset`, advancing it; length 0 at the end of the line.
Word next_word(const char* line, size_t length, size_t& offset) {
  while (offset < length && line[offset] != '\0' && is_blank(line[offset])) ++offset;
  size_t start = offset;
  while (offset < length && line[offset] != '\0' && !is_blank(line[offset])) ++offset;
  return {line + start, offset - start};
}

// Appends `word` and its NUL to the block if both fit; false if not.
bool append(char* block, size_t size, size_t& used, const char* text, size_t length) {
  if (size - used < length + 1) return false;
  for (size_t i = 0; i < length; ++i) block[used + i] = text[i];
  block[used + length] = '\0';
  used += length + 1;
  return true;
}

}  // namespace

size_t init_arguments(const char* command_line, size_t length, char* block, size_t size) {
  constexpr char kInitKey[] = "init=";
  constexpr size_t kInitKeyLength = sizeof(kInitKey) - 1;
  Word name{kDefaultInitName, sizeof(kDefaultInitName) - 1};
  size_t offset = 0;
  size_t rest = length;  // where the words after "--" start, if there is a "--"
  for (Word w = next_word(command_line, length, offset); w.length != 0;
       w = next_word(command_line, length, offset)) {
    if (w.equals("--")) {
      rest = offset;
      break;
    }
    if (w.starts_with(kInitKey, kInitKeyLength) && w.length > kInitKeyLength) {
      name = {w.text + kInitKeyLength, w.length - kInitKeyLength};
    }
  }
  size_t used = 0;
  if (!append(block, size, used, name.text, name.length)) return 0;
  size_t count = 1;
  for (Word w = next_word(command_line, length, rest); w.length != 0;
       w = next_word(command_line, length, rest)) {
    if (!append(block, size, used, w.text, w.length)) break;
    ++count;
  }
  return count;
}

}  // namespace atoll_os::user
