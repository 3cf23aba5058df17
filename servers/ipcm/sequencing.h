// Exactly-once, in-order delivery between two ipcm peers over a connection that may break.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/result.h"
#include "wire.h"

namespace atoll_os::servers::ipcm {

/// Sequenced frames a sender may have unacknowledged towards one peer.
inline constexpr size_t kSendWindow = 32;
/// Frames a receiver keeps that arrived ahead of a gap.
inline constexpr size_t kReorderHold = 8;

/// The sending half of a stream: numbers frames 1, 2, ... and keeps each until the peer
/// acknowledges it, so that a broken connection loses nothing: after reconnecting, every
/// frame still here is sent again (the receiver drops what it already had).
class SendWindow {
 public:
  /// Numbers `frame` (header.sequence) and keeps a copy. kOutOfMemory when kSendWindow
  /// frames await their ack: the caller must hold back until acknowledge() makes room.
  Result<uint64_t> push(wire::Frame& frame);
  /// Forgets the frames numbered up to `ack`. kOutOfRange (and nothing forgotten) if `ack`
  /// covers a number never sent.
  Result<void> acknowledge(uint64_t ack);
  size_t unacked() const { return count_; }
  /// The i-th oldest unacknowledged frame (i < unacked()), to send again.
  const wire::Frame& unacked_at(size_t i) const { return frames_[(first_ + i) % kSendWindow]; }
  uint64_t last_sent() const { return next_sequence_ - 1; }
  /// Drops everything and numbers from 1 again (the peer is a new incarnation).
  void reset();

 private:
  wire::Frame frames_[kSendWindow];
  size_t first_ = 0;
  size_t count_ = 0;
  uint64_t next_sequence_ = 1;
};

enum class Arrival {
  kDeliver,    // the next in order: deliver this frame now, then whatever take_ready() gives
  kDuplicate,  // delivered before: dropped
  kHeld,       // ahead of a gap: kept until the gap is filled
};

/// The receiving half: hands each sequence number over once, in order.
class ReceiveWindow {
 public:
  /// Classifies a sequenced frame. kOutOfRange, and the frame dropped, if it is more than
  /// kReorderHold ahead of the next expected number: the gap is reported, and the sender
  /// will send the frame again.
  Result<Arrival> offer(const wire::Frame& frame);
  /// The next held frame that is now in order; false if none.
  bool take_ready(wire::Frame& out);
  /// What to acknowledge: every number up to this one has been delivered.
  uint64_t delivered_through() const { return expected_ - 1; }
  uint64_t duplicates() const { return duplicates_; }
  void reset();

 private:
  wire::Frame held_[kReorderHold];
  bool held_used_[kReorderHold] = {};
  uint64_t expected_ = 1;
  uint64_t duplicates_ = 0;
};

enum class Incarnation {
  kCurrent,       // the frame belongs to the present stream
  kPeerRebooted,  // the peer is a newer incarnation: restart() before handling the frame
  kStale,         // from an older incarnation of the peer, or to an older one of this node
};

/// Both halves of the stream with one peer, and the incarnations that scope them. A stream
/// lives as long as both incarnations; numbering restarts when either side reboots.
class PeerLink {
 public:
  explicit PeerLink(uint64_t local_incarnation) : local_incarnation_(local_incarnation) {}

  /// Where a frame from the peer belongs (any kind). Sequenced frames must name this node's
  /// incarnation; HELLO and ACK may also name none (0) when the peer has not met us yet.
  Incarnation check(const wire::Header& header) const;
  /// Starts fresh streams with a new incarnation of the peer. Frames the old incarnation
  /// never acknowledged are dropped: read them first (sending().unacked_at()) to bounce them.
  void restart(uint64_t peer_incarnation);

  /// Fills the incarnations and the ack of a frame to the peer; sequenced frames go through
  /// send() instead, which stamps and numbers them.
  void stamp(wire::Header& header) const;
  /// Stamps, numbers and keeps a sequenced frame (SendWindow::push).
  Result<uint64_t> send(wire::Frame& frame);
  /// Takes the ack a current frame carries and, if sequenced, offers the frame.
  /// kOutOfRange for an ack of something never sent or a gap too wide.
  Result<Arrival> receive(const wire::Frame& frame);

  SendWindow& sending() { return send_; }
  ReceiveWindow& receiving() { return receive_; }
  uint64_t peer_incarnation() const { return peer_incarnation_; }

 private:
  uint64_t local_incarnation_;
  uint64_t peer_incarnation_ = 0;  // 0 until the peer's first frame
  SendWindow send_;
  ReceiveWindow receive_;
};

}  // namespace atoll_os::servers::ipcm
