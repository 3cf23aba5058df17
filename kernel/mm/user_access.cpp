// Checked copies to and from user memory, through page-table walks and the direct map.
#include "mm/user_access.h"

#include "arch/x86_64/memory_layout.h"
#include "arch/x86_64/user_address_space.h"
#include "atoll/abi/process.h"
#include "object/task.h"

namespace atoll_os::kernel {
namespace {

Result<uint8_t*> user_byte(Task& task, uint64_t user_address, bool write) {
  uint8_t* p = user_pointer(task, user_address, write);
  if (p == nullptr) return Err(Error::kInvalidArgument);
  return p;
}

size_t to_page_end(uint64_t address) {
  return kPageSize - (address % kPageSize);
}

bool range_ok(uint64_t address, size_t length) {
  return length <= abi::kUserSpaceEnd && address <= abi::kUserSpaceEnd - length;
}

}  // namespace

Result<void> check_user_range(Task& task, uint64_t user_address, size_t length, bool write) {
  if (!range_ok(user_address, length)) return Err(Error::kInvalidArgument);
  if (length == 0) return success();
  uint64_t last = user_address + length - 1;
  for (uint64_t page = align_down(user_address, kPageSize); page <= last; page += kPageSize) {
    TRY(user_byte(task, page, write));
  }
  return success();
}

Result<void> copy_from_user(Task& task, uint64_t user_address, void* out, size_t length) {
  if (!range_ok(user_address, length)) return Err(Error::kInvalidArgument);
  auto* dst = static_cast<uint8_t*>(out);
  while (length > 0) {
    size_t chunk = length < to_page_end(user_address) ? length : to_page_end(user_address);
    uint8_t* src = TRY(user_byte(task, user_address, false));
    __builtin_memcpy(dst, src, chunk);
    dst += chunk;
    user_address += chunk;
    length -= chunk;
  }
  return success();
}

Result<void> copy_to_user(Task& task, uint64_t user_address, const void* in, size_t length) {
  if (!range_ok(user_address, length)) return Err(Error::kInvalidArgument);
  auto* src = static_cast<const uint8_t*>(in);
  while (length > 0) {
    size_t chunk = length < to_page_end(user_address) ? length : to_page_end(user_address);
    uint8_t* dst = TRY(user_byte(task, user_address, true));
    __builtin_memcpy(dst, src, chunk);
    src += chunk;
    user_address += chunk;
    length -= chunk;
  }
  return success();
}

Result<void> copy_user_to_user(Task& to, uint64_t to_address, Task& from, uint64_t from_address,
                               size_t length) {
  if (!range_ok(to_address, length) || !range_ok(from_address, length)) {
    return Err(Error::kInvalidArgument);
  }
  while (length > 0) {
    size_t chunk = to_page_end(to_address) < to_page_end(from_address) ? to_page_end(to_address)
                                                                       : to_page_end(from_address);
    if (chunk > length) chunk = length;
    uint8_t* dst = TRY(user_byte(to, to_address, true));
    uint8_t* src = TRY(user_byte(from, from_address, false));
    __builtin_memcpy(dst, src, chunk);
    to_address += chunk;
    from_address += chunk;
    length -= chunk;
  }
  return success();
}

}  // namespace atoll_os::kernel
