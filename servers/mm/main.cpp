// mm, the memory manager: the pager of every process and the owner of their regions.
//
// init loads mm with every page mapped (no pager exists before it) and hands it its endpoint
// as the capability "endpoint"; the boot modules are shared into it at the addresses init
// sees them. mm's main loop calls no other server, ever: every other server faults into it,
// so one call out could close a cycle. Only its migration threads (migration.h) talk to net,
// and they never hold the space lock while they do.
#include "../lib/serve.h"
#include "atoll/abi/process.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/heap.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "memory_service.h"
#include "migration.h"
#include "space_lock.h"
#include "syscall_memory_kernel.h"

namespace atoll_os::servers::mm {
namespace {

// mm has no pager: init maps its heap eagerly, but slice connections need more (each net
// stream takes half a MiB). From here on the heap maps its own pages, as init's does; the
// eager pages beyond what is used are given back first, since growing maps afresh from the
// end of what is in use.
void map_own_heap(abi::Handle self) {
  uint64_t used_end = page_ceil(abi::kUserHeapBase + user::heap_stats().reserved_bytes);
  (void)user::vm_unmap(self, used_end, (abi::kUserHeapLimit - used_end) / kPageSize);
  user::heap_map_own_pages(self);
}

user::Disposition on_message(MemoryService& service, abi::Message& message) {
  if (message.header.label == abi::kLabelPageFault) {
    FaultOutcome outcome = service.handle_fault(message);
    if (!outcome.resolved) {
      user::print("mm: refused fault at %#lx of pid %#lx: %s\n", outcome.address, outcome.pid,
                  outcome.reason);
    }
    return user::Disposition::kReply;
  }
  return handle_request(message, [&](abi::Message& m, protocols::Call& call) {
    return protocols::mm::dispatch(service, m, call);
  });
}

}  // namespace
}  // namespace atoll_os::servers::mm

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::mm;
  abi::Handle endpoint = protocols::pm::find_capability(argc, argv, "endpoint");
  if (endpoint == abi::kNoHandle) user::fatal("no endpoint capability");
  abi::Handle self = user::process_start().self_task;
  map_own_heap(self);
  Result<abi::Handle> sender_wakeup = user::notification_create();
  Result<abi::Handle> lock_wakeup = user::notification_create();
  if (!sender_wakeup.ok() || !lock_wakeup.ok()) user::fatal("no notifications");
  static SyscallMemoryKernel kernel(self, *sender_wakeup);
  // Large (every space's regions): static, in the eagerly mapped bss, not on the stack.
  static MemoryService service(
      kernel, reinterpret_cast<const abi::BootModuleTable*>(abi::kBootModuleTableAddress));
  static SpaceLock lock(*lock_wakeup);
  if (Result<void> started = start_migration_threads(service, kernel, lock, *sender_wakeup);
      !started.ok()) {
    user::print("mm: no migration threads: %s\n", error_name(started.error()));
  }
  user::print("mm: serving\n");
  Result<void> served = user::serve(endpoint, [&](abi::Message& message) {
    SpaceGuard guard(lock);
    return on_message(service, message);
  });
  user::print("mm: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
