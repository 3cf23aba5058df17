// Fake physical RAM for host tests: a page-aligned host buffer seen at a pretend address.
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/memory_range.h"

namespace atoll_os::kernel::testing {

/// `bytes` of host memory that the code under test reaches as physical [base, base+bytes)
/// through window(). ASan reports any access outside the buffer.
class FakeMemory {
 public:
  static constexpr PhysAddr kDefaultBase = 0x100000;
  static constexpr size_t kDefaultSize = 8 * 1024 * 1024;

  explicit FakeMemory(size_t bytes = kDefaultSize, PhysAddr base = kDefaultBase)
      : bytes_(bytes),
        base_(base),
        buffer_(static_cast<uint8_t*>(aligned_alloc(kPageSize, bytes))) {
    // Garbage, not zeros: code that relies on fresh frames being zeroed must zero them.
    memset(buffer_, 0xa5, bytes_);
  }
  ~FakeMemory() { free(buffer_); }
  FakeMemory(const FakeMemory&) = delete;
  FakeMemory& operator=(const FakeMemory&) = delete;

  PhysicalWindow window() const { return {reinterpret_cast<uintptr_t>(buffer_) - base_}; }
  MemoryRange range() const { return {base_, bytes_}; }
  PhysAddr base() const { return base_; }
  uint8_t* host(PhysAddr address) const { return buffer_ + (address - base_); }

 private:
  size_t bytes_;
  PhysAddr base_;
  uint8_t* buffer_;
};

}  // namespace atoll_os::kernel::testing
