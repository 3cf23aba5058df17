// Sibling tasks for guest tests: a shared image and a private stack.
#include "sibling.h"

#include "atoll/abi/process.h"
#include "atoll/user/syscalls.h"

extern "C" char __image_start[], __image_end[];

namespace atoll_os::guest {
namespace {

using namespace atoll_os::user;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kStackPages = 8;

}  // namespace

Result<Sibling> make_sibling(void (*entry)(uint64_t), uint64_t argument, abi::Handle pager,
                             abi::Handle death, const abi::Handle* gifts, abi::Handle* gifts_out,
                             int gift_count) {
  abi::Handle task = TRY(task_create(pager, death, death ? 1 : 0));
  auto start = reinterpret_cast<uint64_t>(__image_start);
  uint64_t pages = (reinterpret_cast<uint64_t>(__image_end) - start) / kPage;
  // Read-only text and rodata refuse a writable share, so share page by page as they are.
  for (uint64_t i = 0; i < pages; ++i) {
    uint64_t va = start + i * kPage;
    if (!vm_share(abi::kBootSelfTask, va, task, va, 1, abi::kVmWrite | abi::kVmExecute).ok()) {
      TRY(vm_share(abi::kBootSelfTask, va, task, va, 1, abi::kVmExecute));
    }
  }
  TRY(vm_map_zeroed(task, abi::kUserStackTop - kStackPages * kPage, kStackPages, abi::kVmWrite));
  for (int i = 0; i < gift_count; ++i) {
    abi::HandleInfo info = TRY(handle_info(gifts[i]));
    gifts_out[i] = TRY(handle_transfer(task, gifts[i], info.rights));
  }
  auto trampoline = reinterpret_cast<uint64_t>(entry);
  abi::Handle thread = TRY(thread_create(task, trampoline, abi::kUserStackTop - 8, argument));
  return Sibling{task, thread};
}

}  // namespace atoll_os::guest
