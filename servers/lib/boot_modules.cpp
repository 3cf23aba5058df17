// Reading the boot module table without trusting its counts or names to be terminated.
#include "boot_modules.h"

namespace atoll_os::servers {
namespace {

template <size_t N>
std::string_view bounded_text(const char (&field)[N]) {
  size_t length = 0;
  while (length < N && field[length] != '\0') ++length;
  return {field, length};
}

}  // namespace

size_t module_count(const abi::BootModuleTable& table) {
  constexpr size_t kCapacity = sizeof(table.modules) / sizeof(table.modules[0]);
  return table.count < kCapacity ? table.count : kCapacity;
}

Result<Module> module_at(const abi::BootModuleTable& table, size_t index) {
  if (index >= module_count(table)) return Err(Error::kNotFound);
  const abi::BootModuleEntry& entry = table.modules[index];
  return Module{static_cast<uint32_t>(index),
                bounded_text(entry.name),
                {reinterpret_cast<const uint8_t*>(entry.address), entry.size}};
}

Result<Module> find_module(const abi::BootModuleTable& table, std::string_view name) {
  for (size_t i = 0; i < module_count(table); ++i) {
    if (bounded_text(table.modules[i].name) == name) return module_at(table, i);
  }
  return Err(Error::kNotFound);
}

std::string_view command_line(const abi::BootModuleTable& table) {
  return bounded_text(table.command_line);
}

}  // namespace atoll_os::servers
