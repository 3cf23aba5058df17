// Filling ProcessStart::arguments: argv[0], the spawner's arguments, then capabilities.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/abi/process.h"
#include "atoll/protocols/pm.h"
#include "atoll/result.h"

namespace atoll_os::servers {

/// Appends NUL-terminated strings to a ProcessStart's argument block and counts them.
class ArgumentWriter {
 public:
  explicit ArgumentWriter(abi::ProcessStart& start) : start_(start) {}

  /// kInvalidArgument if `argument` holds a NUL; kOutOfRange if the block is full (the
  /// block is then unchanged).
  Result<void> add(std::string_view argument);
  /// "cap:NAME=VALUE", as protocols::pm::capability_argument reads it.
  Result<void> add_capability(std::string_view name, uint32_t value);
  /// `count` strings packed back to back in block[0, bytes), each NUL-terminated, as a
  /// spawn request carries them. kInvalidArgument if the block does not hold exactly that.
  Result<void> add_packed(const char* block, size_t bytes, uint32_t count);

  size_t used() const { return used_; }

 private:
  abi::ProcessStart& start_;
  size_t used_ = 0;
};

/// The VALUE of the first argument `KEY=VALUE` in argv[1..argc), or empty if there is none
/// (the view points into argv, so it is NUL-terminated). Servers get their node identity so.
std::string_view argument_value(int argc, char* const* argv, std::string_view key);

/// Packs `count` arguments back to back, NUL-terminated, into a spawn request (the form
/// add_packed reads); kInvalidArgument if one holds a NUL, kOutOfRange if they do not fit.
Result<void> pack_spawn_arguments(const std::string_view* arguments, size_t count,
                                  protocols::pm::SpawnRequest& request);

}  // namespace atoll_os::servers
