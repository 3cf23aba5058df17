// The one place the virtqueue orders its accesses to memory shared with the device.
#pragma once

#include <atomic>

namespace atoll_os::servers::devices {

/// What a barrier must keep in order. On x86-64 (TSO, write-back RAM) kPublish and kConsume
/// cost nothing at run time but stop the compiler from reordering; kFull is an mfence. The
/// same code builds for the host tests and the freestanding server (<atomic> is freestanding).
enum class RingOrder {
  kPublish,  // earlier stores (descriptors, ring slots) become visible before later stores (idx)
  kConsume,  // a loaded index is read before the ring entries it covers
  kFull,     // earlier stores are visible before later loads (idx, then notification flags)
};

inline void ring_barrier(RingOrder order) {
  switch (order) {
    case RingOrder::kPublish: std::atomic_thread_fence(std::memory_order_release); break;
    case RingOrder::kConsume: std::atomic_thread_fence(std::memory_order_acquire); break;
    case RingOrder::kFull: std::atomic_thread_fence(std::memory_order_seq_cst); break;
  }
}

}  // namespace atoll_os::servers::devices
