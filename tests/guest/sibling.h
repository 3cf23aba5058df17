// A second task that shares the caller's program image: lets a guest test or benchmark run
// two address spaces without the process manager. Only init holds the rights to do this.
#pragma once

#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

namespace atoll_os::guest {

struct Sibling {
  abi::Handle task;
  abi::Handle thread;
};

/// Makes a task whose image pages are this task's (shared frames: code, and also globals),
/// with its own stack, and a thread entering `entry(argument)` there. `pager`/`death` as
/// in task_create. Handles listed in `gifts` are transferred (all their rights) first and
/// their values in the sibling are written to gifts_out in the same order. Not started.
Result<Sibling> make_sibling(void (*entry)(uint64_t), uint64_t argument, abi::Handle pager,
                             abi::Handle death, const abi::Handle* gifts, abi::Handle* gifts_out,
                             int gift_count);

}  // namespace atoll_os::guest
