// Loading a process with every page mapped up front, for mm: no pager exists before it.
#pragma once

#include <stdint.h>

#include "../lib/process_builder.h"
#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

namespace atoll_os::servers::init {

/// Memory an eagerly loaded process gets besides its image. It has no pager, so a touch
/// outside these kills it: the heap must cover what the runtime allocates, the stack the
/// deepest call chain.
struct EagerMemory {
  uint64_t heap_pages;
  uint64_t stack_pages;
};

struct EagerProcess {
  abi::Handle task;
  abi::Handle thread;  // created, not started
};

/// Builds the process of `spec` (its pager_source is ignored: the task has no pager) with
/// its image, heap and stack mapped and its start page written; the thread is not started.
Result<EagerProcess> load_eager(abi::Handle self, const ProcessSpec& spec,
                                const EagerMemory& memory, const char** reason);

/// Maps the boot module table and every module's bytes read-only into `task` at the
/// addresses they have in `self`, so that mm and pm read modules as init does.
Result<void> share_boot_modules(abi::Handle self, abi::Handle task,
                                const abi::BootModuleTable& table);

}  // namespace atoll_os::servers::init
