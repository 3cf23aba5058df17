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

/// The kernel's pointer to the byte at `user_address`, valid up to the end of its page,
/// if the page is mapped user-accessible (and writable if `write`; then it is also marked
/// accessed and dirty, as a CPU write would: pre-copy migration must see kernel writes
/// through the direct map as dirtying). nullptr otherwise. Inline: the IPC paths use it.
inline uint8_t* user_pointer(Task& task, uint64_t user_address, bool write);

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

#include "arch/x86_64/memory_layout.h"
#include "arch/x86_64/user_address_space.h"
#include "atoll/abi/process.h"
#include "object/task.h"

namespace atoll_os::kernel {

inline uint8_t* user_pointer(Task& task, uint64_t user_address, bool write) {
  constexpr uint64_t kPresent = 1, kWritable = 1u << 1, kUser = 1u << 2;
  constexpr uint64_t kAddress = 0x000f'ffff'ffff'f000;
  if (user_address >= abi::kUserSpaceEnd) return nullptr;
  uint64_t* pte = task.leaf_entry(user_address);
  if (pte == nullptr || (*pte & (kPresent | kUser)) != (kPresent | kUser)) return nullptr;
  if (write) {
    if (!(*pte & kWritable)) return nullptr;
    *pte |= x86_64::kPteDirty | x86_64::kPteAccessed;
  }
  return x86_64::kDirectMap.at((*pte & kAddress) + user_address % kPageSize);
}

}  // namespace atoll_os::kernel
