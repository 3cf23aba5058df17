// forge: calls the kernel with handles it was never given (made-up values, a closed handle,
// a handle of the wrong type or with too few rights) and with pointers into the kernel,
// printing the error of each call, e.g. "forge: ipc_send(12345) -> bad_handle". Exits 0
// only if the kernel refused every one. None of the calls can block if the kernel is
// right, and none blocks if it is wrong either: no forged call targets a live endpoint.
#include <stdarg.h>
#include <stdint.h>

#include "atoll/result.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::apps {
namespace {

using abi::Handle;
using user::print;

// Values no one handed out: 0 is never a handle; the others are far above what a new
// process's table holds.
constexpr Handle kForgedHandles[] = {12345, 0, 0xffffffff};
// Kernel addresses: the higher-half kernel image and the direct map of RAM.
constexpr uint64_t kKernelImage = 0xffffffff80000000;
constexpr uint64_t kKernelDirectMap = 0xffff800000000000;

constexpr uint64_t kUnusedAddress = 0x60000000;  // above the heap, in no region

struct Tally {
  int attempts = 0;
  int accepted = 0;
};

// Records one attempt, described by printf-style `what`: refused (any error) is what
// isolation demands.
template <typename T>
void expect_refused(Tally& tally, const Result<T>& result, const char* what, ...)
    __attribute__((format(printf, 3, 4)));

template <typename T>
void expect_refused(Tally& tally, const Result<T>& result, const char* what, ...) {
  char call[96];
  va_list args;
  va_start(args, what);
  user::vformat(call, sizeof(call), what, args);
  va_end(args);
  ++tally.attempts;
  if (result.ok()) ++tally.accepted;
  print("forge: %s -> %s\n", call, result.ok() ? "ACCEPTED" : error_name(result.error()));
}

void forge_values(Tally& tally) {
  abi::Message message{};
  for (Handle h : kForgedHandles) {
    expect_refused(tally, user::ipc_send(h, message), "ipc_send(%u)", h);
    expect_refused(tally, user::ipc_call(h, message), "ipc_call(%u)", h);
    expect_refused(tally, user::handle_duplicate(h, abi::kRightsAll, 0), "handle_duplicate(%u)", h);
    expect_refused(tally, user::notification_signal(h, 1), "notification_signal(%u)", h);
    expect_refused(tally, user::task_kill(h, 0), "task_kill(%u)", h);
    expect_refused(tally, user::handle_close(h), "handle_close(%u)", h);
  }
}

// A handle that was real once: after handle_close its value must mean nothing.
void forge_closed(Tally& tally) {
  auto endpoint = user::endpoint_create();
  if (!endpoint.ok() || !user::handle_close(*endpoint).ok()) {
    print("forge: setup of the closed-handle test failed\n");
    ++tally.accepted;  // refusal cannot be shown: the test fails
    return;
  }
  Handle closed = *endpoint;
  abi::Message message{};
  expect_refused(tally, user::ipc_send(closed, message), "ipc_send(closed %u)", closed);
  expect_refused(tally, user::handle_duplicate(closed, abi::kRightsAll, 0),
                 "handle_duplicate(closed %u)", closed);
  expect_refused(tally, user::handle_close(closed), "handle_close(closed %u)", closed);
}

// Real handles used beyond what they allow: the wrong object type, more rights than held.
void forge_rights(Tally& tally, Handle notification) {
  auto endpoint = user::endpoint_create();
  if (!endpoint.ok()) {
    print("forge: setup of the rights test failed\n");
    ++tally.accepted;
    return;
  }
  abi::Message message{};
  expect_refused(tally, user::ipc_send(notification, message), "ipc_send(notification %u)",
                 notification);
  auto read_only = user::handle_duplicate(*endpoint, abi::kRightRead, 0);
  if (read_only.ok()) {
    expect_refused(tally, user::handle_duplicate(*read_only, abi::kRightsAll, 0),
                   "handle_duplicate(read-only %u, all rights)", *read_only);
  }
  // Only the memory manager may map pages: the process's own task handle has no
  // kRightMemory. (A wrongly accepted call maps one harmless page.) init is the exception.
  Handle self = user::process_start().self_task;
  if (user::is_init()) {
    print("forge: vm_map_zeroed(self_task) skipped: init holds every right on its task\n");
    return;
  }
  expect_refused(tally, user::vm_map_zeroed(self, kUnusedAddress, 1, abi::kVmWrite),
                 "vm_map_zeroed(self_task %u)", self);
}

// Pointers into the kernel where the kernel expects user memory.
void forge_pointers(Tally& tally, Handle notification) {
  expect_refused(tally, user::debug_write(reinterpret_cast<const char*>(kKernelImage), 16),
                 "debug_write(0x%llx)", static_cast<unsigned long long>(kKernelImage));
  auto* info = reinterpret_cast<abi::HandleInfo*>(kKernelDirectMap);
  expect_refused(tally, user::detail::to_void(user::raw::handle_info(notification, info)),
                 "handle_info(%u, 0x%llx)", notification,
                 static_cast<unsigned long long>(kKernelDirectMap));
}

}  // namespace
}  // namespace atoll_os::apps

int main(int, char**) {
  using namespace atoll_os;
  apps::Tally tally;
  apps::forge_values(tally);
  apps::forge_closed(tally);
  auto notification = user::notification_create();
  if (!notification.ok()) {
    user::print("forge: notification_create: %s\n", error_name(notification.error()));
    return 1;
  }
  apps::forge_rights(tally, *notification);
  apps::forge_pointers(tally, *notification);
  if (tally.accepted == 0) {
    user::print("forge: all %d forged calls refused\n", tally.attempts);
    return 0;
  }
  user::print("forge: %d of %d forged calls were ACCEPTED\n", tally.accepted, tally.attempts);
  return 1;
}
