// Reaching user memory from the kernel: checked copies through a task's page tables.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/result.h"

namespace atoll_os::kernel {

class Task;

/// Copies out of / into `task`'s user memory. Every page must be mapped user-accessible
/// (and writable for copy_to_user) and lie below the end of user space; otherwise
/// kInvalidArgument and nothing further is copied. Works for any task, current or not.
Result<void> copy_from_user(Task& task, uint64_t user_address, void* out, size_t length);
Result<void> copy_to_user(Task& task, uint64_t user_address, const void* in, size_t length);
/// Copies between two tasks' memory through the direct map, page by page.
Result<void> copy_user_to_user(Task& to, uint64_t to_address, Task& from, uint64_t from_address,
                               size_t length);

/// Checks that every page of [user_address, +length) is mapped user-accessible (and
/// writable if `write`), without copying. kInvalidArgument otherwise.
Result<void> check_user_range(Task& task, uint64_t user_address, size_t length, bool write);

/// A typed pointer into a task's memory: only read() and write() reach it.
template <typename T>
class UserPointer {
 public:
  explicit UserPointer(uint64_t address) : address_(address) {}
  Result<T> read(Task& task) const {
    T value;
    TRY(copy_from_user(task, address_, &value, sizeof(T)));
    return value;
  }
  Result<void> write(Task& task, const T& value) const {
    return copy_to_user(task, address_, &value, sizeof(T));
  }
  uint64_t address() const { return address_; }

 private:
  uint64_t address_;
};

}  // namespace atoll_os::kernel
