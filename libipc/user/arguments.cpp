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

}  // namespace atoll_os::user
