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

}  // namespace atoll_os::servers::mm
