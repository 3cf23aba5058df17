// The ports that live on this node, their queued messages, and where moved ports went.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/result.h"
#include "location_cache.h"
#include "port_id.h"
#include "wire.h"

namespace atoll_os::servers::ipcm {

inline constexpr size_t kPortsMax = 64;       // live ports and forwarding records together
inline constexpr size_t kPortQueueMax = 32;   // queued arrivals a port accepts, and held ones
inline constexpr size_t kMessageSlots = 256;  // queued messages of all ports together
/// Nodes that can send to a port while it moves (one bit each in the flush mask).
inline constexpr uint16_t kSenderNodesMax = 64;

/// A message as a port queues it.
struct PortMessage {
  PortId reply;
  uint32_t label;
  uint16_t sender_node;
  bool after_move;      // sent straight to the new node (wire::kDataAfterMove)
  uint64_t charged_to;  // the local session whose quota holds it (0: a peer's message)
  uint16_t length;
  uint8_t bytes[wire::kDataBytesMax];
};

enum class Placement {
  kQueued,   // in the port's queue, for its owner to receive
  kHeld,     // sent after a move by a sender whose older messages may still be on the way
  kForward,  // the port moved: send the message (or flush) on to `forward_to`
};

struct Delivery {
  Placement placement;
  Location forward_to;  // for kForward
};

/// Allocation-free: ports and messages live in fixed arrays. The ordering rules of a move
/// (docs/ipcm.md, "Moving a port") are kept here: a moved queue goes in ahead of anything
/// that arrived at the new node first, and a sender's direct messages wait for its flush.
class PortTable {
 public:
  PortTable();

  /// A new port on this node owned by `owner`. kAlreadyExists, kOutOfMemory (table full).
  Result<void> open(PortId port, uint64_t owner);
  /// Closes a port of `owner` and drops its messages; returns how many were dropped.
  /// kNotFound, kAccessDenied.
  Result<size_t> close(PortId port, uint64_t owner);

  /// Places a message sent to `port`. kNotFound (no such port here), kOutOfMemory (its
  /// queue or the message pool is full), kBusy (the port is leaving: try again once it has
  /// departed), kOutOfRange (sender node beyond kSenderNodesMax).
  Result<Delivery> deliver(PortId port, const PortMessage& message);
  /// A PORT_FLUSH from `sender_node`: its held messages join the queue, in order. kBusy
  /// while the port is leaving.
  Result<Delivery> flush(PortId port, uint16_t sender_node);
  /// Takes the oldest queued message of a port of `owner`; false if none is queued.
  /// kNotFound, kAccessDenied.
  Result<bool> receive(PortId port, uint64_t owner, PortMessage& out);

  /// Destination side of a move, before the source calls move_out(): reserve `port`, which
  /// keeps what arrives for it until move_in(). A forwarding record of the port (it comes
  /// back) becomes the reservation. kAlreadyExists, kOutOfMemory.
  Result<void> expect(PortId port, uint64_t epoch);
  /// Source side: moves a local port's queue into `out`, oldest first, and makes the port
  /// leaving: until departed(), what arrives for it (messages, flushes) answers kBusy and
  /// must wait, so that nothing overtakes the queue on its way to `node`. Returns the new
  /// location (epoch + 1) and sets `moved` to the number of messages. kNotFound, kBusy
  /// (messages held awaiting a flush), kOutOfRange (`out` too small).
  Result<Location> move_out(PortId port, uint16_t node, std::span<PortMessage> out, size_t& moved);
  /// Source side: the queue and this node's flush are on their way; the leaving port becomes
  /// a forwarding record to its new node. kNotFound (not leaving).
  Result<void> departed(PortId port);
  /// Destination side: installs an expected port for `owner` with the source's queue,
  /// which goes ahead of whatever arrived since expect(). kNotFound (not expected),
  /// kOutOfMemory (the pool cannot hold them: nothing changes).
  Result<void> move_in(PortId port, uint64_t owner, std::span<const PortMessage> queue);
  /// Destination side of a move that will not come (an aborted migration): the reservation
  /// and whatever arrived for it are dropped; returns how many messages. kNotFound (not
  /// expected).
  Result<size_t> unexpect(PortId port);
  /// Forgets a forwarding record once no sender can still use the old location.
  Result<void> forget_forward(PortId port);
  /// A node died: flushes from or through it will never come, so every held message joins
  /// its port's queue.
  void release_held();

  /// The epoch of a port living here (its moves so far); kNotFound if it is not local.
  Result<uint64_t> epoch(PortId port) const;
  /// Messages queued for `port` (0 if unknown).
  size_t queued(PortId port) const;
  /// Messages queued or held for `port` that local session `charged_to` sent.
  size_t queued_from(PortId port, uint64_t charged_to) const;
  /// Whether `port` lives here and is installed (not arriving, leaving or forwarded).
  bool is_local(PortId port) const;
  size_t free_slots() const { return free_count_; }

 private:
  static constexpr uint16_t kNoSlot = 0xffff;
  enum class State : uint8_t { kFree, kLocal, kArriving, kLeaving, kForwarded };

  struct MessageList {
    uint16_t head = kNoSlot;
    uint16_t tail = kNoSlot;
    uint16_t count = 0;
  };
  struct Port {
    PortId id;
    State state;
    uint64_t owner;
    Location location;  // this node's epoch while here; the next node once forwarded
    uint64_t flushed;   // one bit per sender node whose flush has arrived
    MessageList queue;
    MessageList held;
  };

  Port* find(PortId port);
  const Port* find(PortId port) const;
  Port* free_port();
  Result<uint16_t> take_slot(const PortMessage& message);
  void append(MessageList& list, uint16_t slot);
  uint16_t pop(MessageList& list);
  void free_slot(uint16_t slot);
  void drop_all(MessageList& list);
  void release_held_of(Port& port, uint16_t sender_node, bool any_sender);

  Port ports_[kPortsMax] = {};
  PortMessage slots_[kMessageSlots];
  uint16_t next_[kMessageSlots];
  uint16_t free_head_ = kNoSlot;
  size_t free_count_ = 0;
};

}  // namespace atoll_os::servers::ipcm
