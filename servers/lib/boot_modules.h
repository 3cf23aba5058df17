// Finding GRUB's boot modules by name in the table the kernel gives init (and init shares).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>
#include <string_view>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

namespace atoll_os::servers {

struct Module {
  uint32_t index;  // in BootModuleTable::modules, as mm's RegionRequest::module names it
  std::string_view name;
  std::span<const uint8_t> bytes;
};

/// The number of usable entries: count, clamped to the table's capacity.
size_t module_count(const abi::BootModuleTable& table);

/// The module at `index`; kNotFound past the end.
Result<Module> module_at(const abi::BootModuleTable& table, size_t index);

/// The module called `name`; kNotFound if none is.
Result<Module> find_module(const abi::BootModuleTable& table, std::string_view name);

/// The kernel command line, up to its NUL (or the field's end).
std::string_view command_line(const abi::BootModuleTable& table);

}  // namespace atoll_os::servers
