// Where ports live now, as far as this node knows: PortId → node, ordered by epochs.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/result.h"
#include "port_id.h"

namespace atoll_os::servers::ipcm {

inline constexpr size_t kLocationCacheSize = 256;

/// A port's node from an epoch on. Every move of a port raises its epoch by one; a port
/// that never moved is at its origin node with epoch 0.
struct Location {
  uint16_t node;
  uint64_t epoch;
};

/// Bounded: when full, the least recently used entry goes. Forgetting is always safe, since
/// a port with no entry is looked for at its origin, whose forwarding record leads on.
class LocationCache {
 public:
  /// The cached location, or the origin with epoch 0.
  Location locate(PortId port);
  /// Records `location` unless an entry of the same or a later epoch is known (false then).
  bool update(PortId port, Location location);
  /// Forgets every port believed to live on `node` (NODE_GONE); returns how many.
  size_t forget_node(uint16_t node);
  void forget(PortId port);
  size_t size() const { return size_; }

 private:
  struct Entry {
    PortId port;
    Location location;
    uint64_t last_use;  // 0: the entry is free
  };
  Entry* find(PortId port);
  Entry& victim();

  Entry entries_[kLocationCacheSize] = {};
  size_t size_ = 0;
  uint64_t clock_ = 0;
};

}  // namespace atoll_os::servers::ipcm
