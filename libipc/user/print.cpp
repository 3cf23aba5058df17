// print(): the kernel's formatter into a buffer, then console-protocol messages or the log.
#include "atoll/user/print.h"

#include "atoll/user/console_protocol.h"
#include "atoll/user/heap.h"
#include "atoll/user/ipc.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "lib/format.h"

namespace atoll_os::user {
namespace {

// Most lines fit here; longer output is formatted again into a heap buffer of its size.
constexpr size_t kStackBufferSize = 512;

bool send_to_console(abi::Handle endpoint, const char* text, size_t length) {
  abi::Message message;
  if (!set_message(message, protocol::kConsoleWrite, text, length).ok()) return false;
  return ipc_send(endpoint, message).ok();
}

}  // namespace

void write_console(const char* text, size_t length) {
  abi::Handle endpoint = console();
  while (length > 0) {
    size_t chunk = length < protocol::kConsoleWriteMax ? length : protocol::kConsoleWriteMax;
    // A dead or refusing console must not swallow output: the kernel log still shows it.
    if (endpoint == abi::kNoHandle || !send_to_console(endpoint, text, chunk)) {
      (void)debug_write(text, chunk);
    }
    text += chunk;
    length -= chunk;
  }
}

void vprint(const char* fmt, va_list args) {
  char buffer[kStackBufferSize];
  va_list again;
  va_copy(again, args);
  size_t length = kernel::vformat(buffer, sizeof(buffer), fmt, args);
  char* large = length < sizeof(buffer) ? nullptr : static_cast<char*>(malloc(length + 1));
  if (large != nullptr) {
    kernel::vformat(large, length + 1, fmt, again);
    write_console(large, length);
    free(large);
  } else {
    // Fits, or no heap left for the long form: write what the stack buffer holds.
    write_console(buffer, length < sizeof(buffer) ? length : sizeof(buffer) - 1);
  }
  va_end(again);
}

void print(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vprint(fmt, args);
  va_end(args);
}

size_t vformat(char* buffer, size_t size, const char* fmt, va_list args) {
  return kernel::vformat(buffer, size, fmt, args);
}

size_t format(char* buffer, size_t size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t length = kernel::vformat(buffer, size, fmt, args);
  va_end(args);
  return length;
}

}  // namespace atoll_os::user
