// Closing the handles a finished call left behind.
#include "serve.h"

#include "atoll/user/syscalls.h"

namespace atoll_os::servers {

void release_call_handles(protocols::Call& call) {
  for (protocols::HandleSet* set : {&call.received, &call.reply}) {
    for (uint32_t i = 0; i < set->count; ++i) {
      abi::Handle h = set->take(i);
      if (h != abi::kNoHandle) (void)user::handle_close(h);
    }
    set->count = 0;
  }
  if (call.grant.length != 0) {
    (void)user::vm_unmap(abi::kNoHandle, call.grant.address, call.grant.length / 4096);
    call.grant = {};
  }
}

}  // namespace atoll_os::servers
