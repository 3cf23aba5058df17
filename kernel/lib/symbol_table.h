// Address-to-function-name lookup over the kernel's symbol map (the `kernel.sym` boot module).
#pragma once

#include <stdint.h>

#include <string_view>

#include "atoll/result.h"

namespace atoll_os::kernel {

/// Reads the text that `nm -n -C -S --defined-only atoll.elf` prints, without copying or
/// allocating: each line is "<hex address> [<hex size>] <type> <name>". Only code symbols
/// (types T, t, W, w) are used. Malformed lines are skipped, never read past the text.
class SymbolTable {
 public:
  struct Location {
    std::string_view name;
    uint64_t offset;  // address - symbol start
  };

  SymbolTable() = default;
  explicit SymbolTable(std::string_view text) : text_(text) {}

  /// The code symbol containing `address`: the one with the greatest start <= address,
  /// and, when the map gives sizes, address < start + size. kNotFound otherwise.
  Result<Location> lookup(uint64_t address) const;
  /// The start address of the code symbol named exactly `name`; kNotFound otherwise.
  Result<uint64_t> address_of(std::string_view name) const;

  bool empty() const { return text_.empty(); }

 private:
  std::string_view text_;
};

}  // namespace atoll_os::kernel
