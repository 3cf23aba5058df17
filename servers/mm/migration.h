// mm's migration threads: the sender of memory slices (one send at a time, queued by
// space_send) and the receiver of slices on kMemorySlicePort. Neither blocks the main loop,
// which pages every process of the node, net's included.
#pragma once

#include "atoll/result.h"
#include "memory_service.h"
#include "space_lock.h"

namespace atoll_os::servers::mm {

/// Starts both threads. They reach `service` only under `lock`, and `kernel` outside it;
/// `sender_wakeup` is the notification kernel.wake_sender() signals.
Result<void> start_migration_threads(MemoryService& service, MemoryKernel& kernel, SpaceLock& lock,
                                     abi::Handle sender_wakeup);

/// Starts the threads of lazy and postcopy migrations (lazy_link.cpp): the page servers and
/// their listener (source side) and the lazy thread (destination side), which waits on
/// `lazy_wakeup` (the notification kernel.wake_lazy() signals).
Result<void> start_lazy_threads(MemoryService& service, MemoryKernel& kernel, SpaceLock& lock,
                                abi::Handle lazy_wakeup);

/// Fetches the page of a remote fault (`pending.remote`, from handle_fault) from the source
/// and answers `message`: resolved, or refused with the reason (the task is then killed).
/// Called by a pager thread without the space lock.
FaultOutcome resolve_remote_fault(abi::Message& message, const FaultOutcome& pending);

/// Brings every page of `pid` still at the source of its last (lazy) migration, before it
/// moves on: a space is only ever sent whole. Success at once for a space without any.
Result<void> fetch_all_pages(uint64_t pid, const char** why);

}  // namespace atoll_os::servers::mm
