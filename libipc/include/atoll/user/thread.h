// Extra threads in the calling task, on heap-allocated stacks.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

namespace atoll_os::user {

using ThreadFunction = void (*)(void* argument);

inline constexpr size_t kDefaultThreadStackBytes = 64 * 1024;

/// Starts a thread of this task that runs function(argument) and ends when it returns; its
/// stack comes from the heap (demand-zero, so unused depth costs nothing) and is not freed.
/// Uses process_start().self_task, which needs kRightControl for thread_create: init's has
/// it; for other processes it depends on what pm grants (kAccessDenied otherwise).
Result<abi::Handle> spawn_thread(ThreadFunction function, void* argument,
                                 size_t stack_bytes = kDefaultThreadStackBytes,
                                 uint32_t priority = abi::kPriorityDefault);

}  // namespace atoll_os::user
