// The name service's table: name → endpoint handle, each entry owned by a client badge.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/names.h"
#include "atoll/result.h"

namespace atoll_os::servers::names {

inline constexpr size_t kMaxNames = 64;
/// A client may hold this many names: one client cannot fill the table for everyone.
inline constexpr size_t kMaxNamesPerOwner = 8;

/// Bounded and allocation-free. Stores handle values; closing them is the caller's job.
class NameTable {
 public:
  /// 1..31 printable ASCII characters, no space.
  static bool valid_name(std::string_view name);

  /// kInvalidArgument (bad name), kAlreadyExists, kOutOfMemory (table full or the owner's
  /// quota reached).
  Result<void> add(uint64_t owner, std::string_view name, abi::Handle endpoint);
  /// The endpoint bound to `name`; kNotFound.
  Result<abi::Handle> find(std::string_view name) const;
  /// Unbinds `name` and returns its endpoint for closing; kNotFound, or kAccessDenied if
  /// `owner` does not own it.
  Result<abi::Handle> remove(uint64_t owner, std::string_view name);
  /// Unbinds every name of `owner`; their endpoints go to out[0, return value) (up to
  /// kMaxNamesPerOwner of them, which is all an owner can hold).
  size_t remove_owner(uint64_t owner, abi::Handle (&out)[kMaxNamesPerOwner]);

  size_t size() const { return size_; }
  size_t owned_by(uint64_t owner) const;

 private:
  struct Entry {
    char name[protocols::names::kNameMax];
    abi::Handle endpoint;
    uint64_t owner;
    bool used;
  };
  Entry* entry(std::string_view name);
  const Entry* entry(std::string_view name) const;

  Entry entries_[kMaxNames] = {};
  size_t size_ = 0;
};

}  // namespace atoll_os::servers::names
