// Addresses the servers reserve in their own address spaces, outside every process region.
#pragma once

#include <stdint.h>

#include "atoll/abi/process.h"

namespace atoll_os::servers {

inline constexpr uint64_t kPageSize = 4096;

/// One page where a server maps a frame of another task while it fills or reads it. Between
/// the heap limit and the module table, so it never collides with an image, heap or stack.
inline constexpr uint64_t kScratchPage = 0x0000'6000'0000'0000;
static_assert(kScratchPage >= abi::kUserHeapLimit && kScratchPage < abi::kBootModuleTableAddress);

constexpr uint64_t page_floor(uint64_t address) {
  return address & ~(kPageSize - 1);
}
constexpr uint64_t page_ceil(uint64_t address) {
  return (address + kPageSize - 1) & ~(kPageSize - 1);
}
constexpr uint64_t pages_in(uint64_t bytes) {
  return (bytes + kPageSize - 1) / kPageSize;
}

}  // namespace atoll_os::servers
