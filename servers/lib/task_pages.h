// Filling pages of another task: map a fresh frame here, write it, share it there, unmap.
#pragma once

#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"
#include "atoll/user/syscalls.h"
#include "layout.h"

namespace atoll_os::servers {

/// Maps a fresh page at `page` of `task` with `flags`, after `fill(uint8_t* bytes)` wrote
/// its content through kScratchPage of `self` (a task handle of the caller with
/// kRightMemory). The target never sees the page half-written, even with several threads.
/// Not reentrant: one scratch page per task.
template <typename Fill>
Result<void> map_filled_page(abi::Handle self, abi::Handle task, uint64_t page, uint32_t flags,
                             Fill&& fill) {
  TRY(user::vm_map_zeroed(self, kScratchPage, 1, abi::kVmWrite));
  fill(reinterpret_cast<uint8_t*>(kScratchPage));
  Result<void> shared = user::vm_share(self, kScratchPage, task, page, 1, flags);
  (void)user::vm_unmap(self, kScratchPage, 1);  // the target's mapping keeps the frame
  return shared;
}

}  // namespace atoll_os::servers
