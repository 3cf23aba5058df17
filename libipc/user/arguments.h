// Splitting ProcessStart::arguments (argc NUL-terminated strings back to back) into argv.
#pragma once

#include <stddef.h>

namespace atoll_os::user {

/// The most strings split_arguments can find in `size` bytes: each needs at least its NUL.
constexpr size_t max_arguments(size_t argc, size_t size) {
  return argc < size ? argc : size;
}

/// Points argv[0..count) at the first `argc` strings of `block` and sets argv[count] to
/// nullptr; `argv` must hold max_arguments(argc, size) + 1 entries. Returns count, which is
/// less than argc when the block ends first or its last string has no NUL within `size`
/// bytes: a malformed block can shorten argv but never make it point outside the block.
size_t split_arguments(char* block, size_t size, size_t argc, char** argv);

/// init's arguments, taken from the kernel command line the way Linux does: argv[0] is the
/// value of `init=NAME` ("init" without one) and the words after a lone `--` follow, split
/// on spaces and tabs, without quote processing. Writes them as NUL-terminated strings back
/// to back into `block` (`size` bytes), the ProcessStart::arguments format, and returns how
/// many it wrote: words that do not fit whole are dropped. `command_line` need not be
/// NUL-terminated; `length` bounds it.
size_t init_arguments(const char* command_line, size_t length, char* block, size_t size);

}  // namespace atoll_os::user
