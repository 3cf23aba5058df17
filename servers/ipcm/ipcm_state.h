// What the ipcm server's threads share. `lock` guards everything here except a peer's
// stream, whose writes are serialised by the peer's `write_lock` (always taken before
// `lock`, never after it).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/net_client.h"
#include "atoll/user/lock.h"
#include "location_cache.h"
#include "port_id.h"
#include "port_table.h"
#include "quota.h"
#include "sequencing.h"
#include "stream_framer.h"
#include "wire.h"

namespace atoll_os::servers::ipcm {

inline constexpr size_t kNodesMax = 16;
inline constexpr size_t kNamesMax = 64;
inline constexpr size_t kPortsPerSession = 16;
inline constexpr uint16_t kIpcmTcpPort = 7100;
/// Every ipcm thread's: they share state.lock, a YieldingLock (a waiter only yields, so a
/// holder of lower priority would never run again).
inline constexpr uint32_t kIpcmPriority = 20;

/// A port living here: its owner (a session badge), the notification to signal and, if the
/// owner takes direct calls, its endpoint. The copies direct_open hands out derive from
/// these handles, so revoking them cuts every direct path to the port at once.
struct LocalPort {
  PortId id;
  uint64_t owner = 0;
  abi::Handle notification = abi::kNoHandle;
  abi::Handle direct = abi::kNoHandle;
  // The objects' HandleInfo::object_id: the owner's handles to them have the same, which
  // is how a migration finds them in its handle table.
  uint64_t notification_object = 0;
  uint64_t direct_object = 0;
};

struct NameBinding {
  wire::Name name;
  PortId port;  // none(): a free entry
};

struct Peer {
  explicit Peer(uint64_t incarnation) : link(incarnation) {}
  protocols::net::Stream* stream = nullptr;  // nullptr while not connected
  PeerLink link;
  uint64_t last_heard_ns = 0;
  uint64_t acked_through = 0;  // the delivered_through last sent to the peer
  bool introduced = false;     // HELLO exchanged on the current connection
  bool reader_busy = false;    // the reader waits on room elsewhere, reading nothing
  bool gone = false;           // declared dead: sends fail until it comes back rebooted
  uint64_t gone_incarnation = 0;
  bool names_owed = false;  // our names must be sent to it
  // In-order frames waiting for room at their port: at most one frame and the ones it
  // released from the reorder hold.
  wire::Frame backlog[kReorderHold + 1];
  size_t backlog_count = 0;
  // Frames the reader must send on once it has let go of the state lock: forwarded DATA and
  // PORT_FLUSH of moved ports, and this node's own flushes.
  struct Outgoing {
    uint16_t node;
    wire::Frame frame;
  };
  Outgoing outbox[2 * (kReorderHold + 1)];
  size_t outbox_count = 0;
  user::YieldingLock write_lock;
};

inline constexpr size_t kMigrationsMax = 4;  // prepared at once, on either side
/// A prepared migration the destination heard nothing more of is forgotten after this.
inline constexpr uint64_t kPreparedExpiryNs = 120'000'000'000;

/// Source side of a migration: a session whose ports the destination expects; they stay
/// here until the commit (or go nowhere on abort).
struct OutgoingPorts {
  uint64_t session = 0;  // 0: a free entry
  uint64_t migration_id = 0;
  uint16_t node = 0;
};

/// Destination side: a session made for a migrating process, its ports expected here with
/// new objects, which pm installs in the process's table (migration_handle).
struct IncomingPorts {
  struct Made {
    uint64_t source_object;  // the object's id on the source
    abi::Handle handle;      // ipcm's handle to the new object (every right)
  };
  uint64_t migration_id = 0;  // 0: a free entry
  uint64_t pid = 0;
  uint64_t session = 0;
  uint64_t expires_ns = 0;
  uint32_t port_count = 0;
  uint32_t made_count = 0;
  PortId ports[kPortsPerSession];
  Made made[2 * kPortsPerSession];
};

struct IpcmCounters {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t messages_queued = 0;
  uint64_t messages_delivered = 0;
  uint64_t messages_dropped = 0;  // to a port that is gone, or a full queue
};

struct IpcmState {
  IpcmState(uint16_t node_id, uint64_t boot) : node(node_id), incarnation(boot), ids(node_id) {}
  /// Node n's address (network byte order): node0_ip + n, added in host order.
  uint32_t ip_of(uint16_t n) const { return __builtin_bswap32(__builtin_bswap32(node0_ip) + n); }

  user::YieldingLock lock;
  uint16_t node;
  uint16_t nodes = 1;     // the cluster's size (nodes=N)
  uint32_t node0_ip = 0;  // node n is at node0_ip + n (network byte order arithmetic done)
  uint64_t incarnation;   // this boot of this node
  PortIdAllocator ids;
  PortTable ports;
  LocationCache locations;  // where moved ports went
  ClientQuota quota;        // messages local sessions have queued at local ports
  LocalPort local[kPortsMax];
  NameBinding names[kNamesMax];
  Peer* peers[kNodesMax] = {};
  protocols::net::Client net;
  bool has_network = false;
  abi::Handle endpoint = abi::kNoHandle;
  uint64_t sessions = 0;
  OutgoingPorts outgoing[kMigrationsMax];
  IncomingPorts incoming[kMigrationsMax];
  IpcmCounters counters;
};

}  // namespace atoll_os::servers::ipcm
