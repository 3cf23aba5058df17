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

}  // namespace atoll_os::user
