// spawn_thread: a heap stack, a launch record at its top, thread_create and thread_start.
#include "atoll/user/thread.h"

#include <stdint.h>

#include "atoll/user/heap.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"

extern "C" void atoll_thread_entry();  // thread_entry.S

namespace atoll_os::user {
namespace {

// At the top of the new thread's stack; the kernel passes its address in rdi and rsp.
struct alignas(16) ThreadLaunch {
  ThreadFunction function;
  void* argument;
};

}  // namespace

Result<abi::Handle> spawn_thread(ThreadFunction function, void* argument, size_t stack_bytes,
                                 uint32_t priority) {
  if (function == nullptr || stack_bytes < 2 * sizeof(ThreadLaunch)) {
    return Err(Error::kInvalidArgument);
  }
  auto* stack = static_cast<uint8_t*>(malloc(stack_bytes));
  if (stack == nullptr) return Err(Error::kOutOfMemory);
  uintptr_t top =
      (reinterpret_cast<uintptr_t>(stack) + stack_bytes - sizeof(ThreadLaunch)) & ~uintptr_t{15};
  auto* launch = reinterpret_cast<ThreadLaunch*>(top);
  launch->function = function;
  launch->argument = argument;

  auto thread = thread_create(process_start().self_task,
                              reinterpret_cast<uint64_t>(&atoll_thread_entry), top, top);
  if (!thread.ok()) {
    free(stack);
    return Err(thread.error());
  }
  if (auto started = thread_start(*thread, priority); !started.ok()) {
    (void)handle_close(*thread);
    free(stack);  // the thread never ran, so nothing uses its stack
    return Err(started.error());
  }
  return *thread;
}

}  // namespace atoll_os::user

/// Called by atoll_thread_entry on the new thread's stack.
extern "C" [[noreturn]] void atoll_thread_main(const void* launch_record) {
  using namespace atoll_os::user;
  const auto* launch = static_cast<const ThreadLaunch*>(launch_record);
  launch->function(launch->argument);
  thread_exit();
}
