// mm, the memory manager: the pager of every process and the owner of their regions.
//
// init loads mm with every page mapped (no pager exists before it) and hands it its endpoint
// as the capability "endpoint"; the boot modules are shared into it at the addresses init
// sees them. mm's pager threads call no other server, ever: every other server faults into
// it, so one call out could close a cycle. Only its migration threads (migration.h) talk to
// net, and they never hold the space lock while they do. The one exception is a remote fault
// of a lazily migrated process (docs/strategies.md): its pager thread waits for the page from
// the source over an open link, without the lock; kPagerThreads serve the endpoint so that
// the others go on paging (net's faults included), and at most kPagerThreads - 1 wait so.
#include "../lib/serve.h"
#include "atoll/abi/process.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/clock.h"
#include "atoll/user/heap.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/thread.h"
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

constexpr uint32_t kPagerThreads = 3;
constexpr uint32_t kPagerPriority = 24;  // init starts mm at this (servers/init/server_start.h)
constexpr size_t kPagerStack = 32 * 1024;
uint32_t g_remote_waits = 0;  // pager threads waiting for a remote page

struct Pager {
  MemoryService* service;
  SpaceLock* lock;
  abi::Handle endpoint;
};
Pager g_pager;

// A remote fault when kPagerThreads - 1 already wait: "resolved" without a page, after a
// pause; the thread faults again and finds a pager free (or its page arrived).
void answer_retry(abi::Message& message) {
  (void)user::sleep_ms(1);
  message.header.label = abi::kLabelFaultResolved;
  message.header.length = 0;
  message.header.handle_count = 0;
  message.header.flags = 0;
}

FaultOutcome resolve_remote(abi::Message& message, const FaultOutcome& pending) {
  if (__atomic_add_fetch(&g_remote_waits, 1, __ATOMIC_SEQ_CST) >= kPagerThreads) {
    __atomic_sub_fetch(&g_remote_waits, 1, __ATOMIC_SEQ_CST);
    answer_retry(message);
    FaultOutcome retried = pending;
    retried.resolved = true;
    return retried;
  }
  FaultOutcome outcome = resolve_remote_fault(message, pending);
  __atomic_sub_fetch(&g_remote_waits, 1, __ATOMIC_SEQ_CST);
  return outcome;
}

user::Disposition on_message(MemoryService& service, SpaceLock& lock, abi::Message& message) {
  if (message.header.label == abi::kLabelPageFault) {
    FaultOutcome outcome;
    {
      SpaceGuard guard(lock);
      outcome = service.handle_fault(message);
    }
    if (outcome.remote) outcome = resolve_remote(message, outcome);
    if (!outcome.resolved) {
      user::print("mm: refused fault at %#lx of pid %#lx: %s\n", outcome.address, outcome.pid,
                  outcome.reason);
    }
    return user::Disposition::kReply;
  }
  SpaceGuard guard(lock);
  return handle_request(message, [&](abi::Message& m, protocols::Call& call) {
    return protocols::mm::dispatch(service, m, call);
  });
}

Result<void> serve_pages(const Pager& pager) {
  return user::serve(pager.endpoint, [&](abi::Message& message) {
    return on_message(*pager.service, *pager.lock, message);
  });
}

void pager_thread(void*) {
  Result<void> served = serve_pages(g_pager);
  user::print("mm: a pager thread's endpoint failed: %s\n", error_name(served.error()));
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
  Result<abi::Handle> lazy_wakeup = user::notification_create();
  if (lazy_wakeup.ok()) kernel.set_lazy_wakeup(*lazy_wakeup);
  if (Result<void> started = lazy_wakeup.ok()
                                 ? start_lazy_threads(service, kernel, lock, *lazy_wakeup)
                                 : Result<void>(Err(lazy_wakeup.error()));
      !started.ok()) {
    user::print("mm: no lazy migration threads: %s\n", error_name(started.error()));
  }
  g_pager = {&service, &lock, endpoint};
  for (uint32_t i = 1; i < kPagerThreads; ++i) {
    if (!user::spawn_thread(pager_thread, nullptr, kPagerStack, kPagerPriority).ok()) {
      user::print("mm: a pager thread less\n");
    }
  }
  user::print("mm: serving\n");
  Result<void> served = serve_pages(g_pager);
  user::print("mm: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
