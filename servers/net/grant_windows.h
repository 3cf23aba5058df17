// Where streams' shared pages land in net: fixed slots in a reserved range, one per stream
// plus one per server thread waiting to receive.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/net.h"
#include "atoll/result.h"

namespace atoll_os::servers::net {

inline constexpr uint64_t kGrantWindowBase = 0x0000'6100'0000'0000;
inline constexpr uint64_t kGrantSlotBytes = 1024 * 1024;
static_assert(protocols::net::kStreamBytes <= kGrantSlotBytes);

/// A fixed set of slots; not thread-safe (the server's lock guards it).
class GrantWindows {
 public:
  static constexpr size_t kSlots = 72;  // kMaxSockets streams and the receiving threads

  /// A free slot's address, now taken; kOutOfMemory when none is free.
  Result<uint64_t> take();
  /// Gives a slot back (its pages must be unmapped already).
  void release(uint64_t address);
  size_t in_use() const;

 private:
  bool used_[kSlots] = {};
};

}  // namespace atoll_os::servers::net
