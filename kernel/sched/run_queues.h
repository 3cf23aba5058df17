// Priority run queues: one FIFO per priority and a bitmap of the non-empty ones.
#pragma once

#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "lib/intrusive_list.h"

namespace atoll_os::kernel {

/// T needs `ListNode run_link` and `uint8_t priority() const` (< abi::kPriorityCount).
/// pick() is O(1): the highest set bit names the queue.
template <typename T>
class RunQueues {
 public:
  void enqueue(T& item) {
    queues_[item.priority()].push_back(item);
    non_empty_ |= 1u << item.priority();
    ++size_;
  }
  void remove(T& item) {
    auto& queue = queues_[item.priority()];
    queue.remove(item);
    if (queue.empty()) non_empty_ &= ~(1u << item.priority());
    --size_;
  }
  /// Removes and returns the first item of the highest non-empty priority, or nullptr.
  T* pick() {
    if (non_empty_ == 0) return nullptr;
    uint32_t level = 31 - __builtin_clz(non_empty_);
    T* item = queues_[level].front();
    remove(*item);
    return item;
  }
  /// The highest priority with a waiting item, or -1.
  int highest() const { return non_empty_ == 0 ? -1 : 31 - __builtin_clz(non_empty_); }
  bool empty() const { return non_empty_ == 0; }
  /// Items queued at every priority (the load average's sample).
  uint32_t size() const { return size_; }

 private:
  static_assert(abi::kPriorityCount == 32, "one bit per priority in a uint32_t");
  IntrusiveList<T, &T::run_link> queues_[abi::kPriorityCount];
  uint32_t non_empty_ = 0;
  uint32_t size_ = 0;
};

}  // namespace atoll_os::kernel
