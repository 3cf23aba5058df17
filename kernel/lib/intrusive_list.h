// A doubly linked intrusive list: queueing an object never allocates.
#pragma once

#include <stddef.h>

namespace atoll_os::kernel {

/// Embedded in an object once per list it can be on. Unlinked when both pointers are null.
struct ListNode {
  ListNode* prev = nullptr;
  ListNode* next = nullptr;
  bool linked() const { return next != nullptr; }
};

/// A circular list of T through the member `Link`. The list does not own its elements.
template <typename T, ListNode T::*Link>
class IntrusiveList {
 public:
  constexpr IntrusiveList() : head_{&head_, &head_} {}
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_.next == &head_; }
  size_t size() const { return size_; }

  void push_back(T& item) { insert_before(&head_, item); }
  void push_front(T& item) { insert_before(head_.next, item); }
  /// Inserts `item` before `position` (an element of this list).
  void insert_before(T& position, T& item) { insert_before(&(position.*Link), item); }

  T* front() const { return empty() ? nullptr : owner(head_.next); }
  T* next(T& item) const {
    ListNode* n = (item.*Link).next;
    return n == &head_ ? nullptr : owner(n);
  }
  T* pop_front() {
    T* item = front();
    if (item) remove(*item);
    return item;
  }
  /// Unlinks `item`, which must be on this list.
  void remove(T& item) {
    ListNode& node = item.*Link;
    node.prev->next = node.next;
    node.next->prev = node.prev;
    node.prev = node.next = nullptr;
    --size_;
  }

 private:
  void insert_before(ListNode* position, T& item) {
    ListNode& node = item.*Link;
    node.next = position;
    node.prev = position->prev;
    position->prev->next = &node;
    position->prev = &node;
    ++size_;
  }
  static T* owner(ListNode* node) {
    // The offset of Link inside T, computed without a T object.
    alignas(T) static char probe_storage[sizeof(T)];
    T* probe = reinterpret_cast<T*>(probe_storage);
    size_t offset = reinterpret_cast<char*>(&(probe->*Link)) - reinterpret_cast<char*>(probe);
    return reinterpret_cast<T*>(reinterpret_cast<char*>(node) - offset);
  }

  ListNode head_;
  size_t size_ = 0;
};

}  // namespace atoll_os::kernel
