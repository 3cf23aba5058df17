// Decoding the multiboot2 boot information that GRUB hands the kernel, bounds-checked.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>
#include <string_view>

#include "atoll/result.h"
#include "mm/memory_range.h"

namespace atoll_os::kernel {

inline constexpr uint32_t kMultiboot2BootloaderMagic = 0x36d76289;

/// One module GRUB loaded (`module2 FILE NAME...`): its physical bytes and command line.
struct BootModule {
  PhysAddr start = 0;
  PhysAddr end = 0;       // exclusive
  std::string_view name;  // the module's command line, e.g. "kernel.sym"
};

/// What the kernel needs from the boot information.
struct BootInfo {
  static constexpr size_t kMaxRanges = 64;
  static constexpr size_t kMaxModules = 32;

  std::string_view command_line;
  std::string_view bootloader_name;
  MemoryRange usable[kMaxRanges];  // memory-map entries of type 1 (available RAM)
  size_t usable_count = 0;
  MemoryRange reserved[kMaxRanges];  // every other memory-map entry
  size_t reserved_count = 0;
  BootModule modules[kMaxModules];
  size_t module_count = 0;

  std::span<const MemoryRange> usable_ranges() const { return {usable, usable_count}; }
  std::span<const MemoryRange> reserved_ranges() const { return {reserved, reserved_count}; }
  std::span<const BootModule> module_list() const { return {modules, module_count}; }
  /// The module whose name is exactly `name`; kNotFound otherwise.
  Result<BootModule> module(std::string_view name) const;
  uint64_t usable_bytes() const;
};

/// Decodes the boot information at `info`, of which at most `available` bytes may be read.
/// String views point into `info`. Errors: kTruncated if the structure or a tag runs past
/// its total size or `available`; kBadFormat for a misaligned or undersized tag, a string
/// without NUL, a memory-map entry size below 24, a module with end < start, or a missing
/// end tag; kOutOfRange if more than kMaxRanges ranges or kMaxModules modules.
Result<BootInfo> parse_multiboot2(const uint8_t* info, size_t available);

}  // namespace atoll_os::kernel
