// mm, the memory manager: the pager of every process and the owner of their regions.
//
// init loads mm with every page mapped (no pager exists before it) and hands it its endpoint
// as the capability "endpoint"; the boot modules are shared into it at the addresses init
// sees them. mm calls no other server, ever: every other server faults into it, so one call
// out could close a cycle.
#include "../lib/serve.h"
#include "../lib/task_pages.h"
#include "atoll/abi/process.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/cstring.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "memory_service.h"

namespace atoll_os::servers::mm {
namespace {

class SyscallMemoryKernel final : public MemoryKernel {
 public:
  explicit SyscallMemoryKernel(abi::Handle self) : self_(self) {}

  Result<void> map_zeroed(abi::Handle task, uint64_t page, uint32_t flags) override {
    return user::vm_map_zeroed(task, page, 1, flags);
  }
  Result<void> map_copy(abi::Handle task, uint64_t page, uint32_t flags, const uint8_t* source,
                        const PageCopy& copy) override {
    return map_filled_page(self_, task, page, flags, [&](uint8_t* bytes) {
      memcpy(bytes + copy.page_offset, source + copy.source_offset, copy.length);
    });
  }
  void close(abi::Handle handle) override { (void)user::handle_close(handle); }
  Result<abi::MemoryInfo> memory_info() override { return user::memory_info(); }

 private:
  abi::Handle self_;
};

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
  static SyscallMemoryKernel kernel(user::process_start().self_task);
  // Large (every space's regions): static, in the eagerly mapped bss, not on the stack.
  static MemoryService service(
      kernel, reinterpret_cast<const abi::BootModuleTable*>(abi::kBootModuleTableAddress));
  user::print("mm: serving\n");
  Result<void> served =
      user::serve(endpoint, [&](abi::Message& message) { return on_message(service, message); });
  user::print("mm: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
