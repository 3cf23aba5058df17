// Physical addresses, page constants and the window through which the kernel reaches RAM.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::kernel {

using PhysAddr = uint64_t;

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kLargePageSize = 2 * 1024 * 1024;
inline constexpr uint64_t kHugePageSize = 1024ull * 1024 * 1024;

constexpr uint64_t align_down(uint64_t value, uint64_t align) {
  return value & ~(align - 1);
}
constexpr uint64_t align_up(uint64_t value, uint64_t align) {
  return (value + align - 1) & ~(align - 1);
}

/// A half-open range of physical memory [base, base + length).
struct MemoryRange {
  PhysAddr base = 0;
  uint64_t length = 0;

  constexpr PhysAddr end() const { return base + length; }
  constexpr bool contains(PhysAddr a) const { return a >= base && a - base < length; }
  constexpr bool overlaps(const MemoryRange& o) const { return base < o.end() && o.base < end(); }
};

/// How kernel code reaches physical memory: physical address + offset = pointer. In the
/// kernel the offset is the direct map's base; host tests point it at a buffer.
struct PhysicalWindow {
  uintptr_t offset = 0;

  template <typename T = uint8_t>
  T* at(PhysAddr address) const {
    return reinterpret_cast<T*>(address + offset);
  }
  PhysAddr physical(const void* pointer) const {
    return reinterpret_cast<uintptr_t>(pointer) - offset;
  }
};

}  // namespace atoll_os::kernel
