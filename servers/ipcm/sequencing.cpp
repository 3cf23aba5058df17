// Sequence numbers, acknowledgements and incarnations of ipcm peer streams.
#include "sequencing.h"

namespace atoll_os::servers::ipcm {

Result<uint64_t> SendWindow::push(wire::Frame& frame) {
  if (count_ == kSendWindow) return Err(Error::kOutOfMemory);
  frame.header.sequence = next_sequence_++;
  frames_[(first_ + count_) % kSendWindow] = frame;
  ++count_;
  return frame.header.sequence;
}

Result<void> SendWindow::acknowledge(uint64_t ack) {
  if (ack > last_sent()) return Err(Error::kOutOfRange);
  while (count_ != 0 && frames_[first_].header.sequence <= ack) {
    first_ = (first_ + 1) % kSendWindow;
    --count_;
  }
  return success();
}

void SendWindow::reset() {
  first_ = 0;
  count_ = 0;
  next_sequence_ = 1;
}

Result<Arrival> ReceiveWindow::offer(const wire::Frame& frame) {
  uint64_t sequence = frame.header.sequence;
  if (sequence < expected_) {
    ++duplicates_;
    return Arrival::kDuplicate;
  }
  if (sequence == expected_) {
    ++expected_;
    return Arrival::kDeliver;
  }
  if (sequence - expected_ > kReorderHold) return Err(Error::kOutOfRange);
  // The numbers expected_+1 .. expected_+kReorderHold fall on distinct slots.
  size_t slot = sequence % kReorderHold;
  if (held_used_[slot]) {
    ++duplicates_;
    return Arrival::kDuplicate;
  }
  held_[slot] = frame;
  held_used_[slot] = true;
  return Arrival::kHeld;
}

bool ReceiveWindow::take_ready(wire::Frame& out) {
  size_t slot = expected_ % kReorderHold;
  if (!held_used_[slot] || held_[slot].header.sequence != expected_) return false;
  out = held_[slot];
  held_used_[slot] = false;
  ++expected_;
  return true;
}

void ReceiveWindow::reset() {
  for (bool& used : held_used_) used = false;
  expected_ = 1;
  duplicates_ = 0;
}

Incarnation PeerLink::check(const wire::Header& header) const {
  bool names_us = header.receiver_incarnation == local_incarnation_ ||
                  (header.receiver_incarnation == 0 && !wire::is_sequenced(header.kind));
  if (!names_us || header.sender_incarnation < peer_incarnation_) return Incarnation::kStale;
  if (header.sender_incarnation > peer_incarnation_) return Incarnation::kPeerRebooted;
  return Incarnation::kCurrent;
}

void PeerLink::restart(uint64_t peer_incarnation) {
  peer_incarnation_ = peer_incarnation;
  send_.reset();
  receive_.reset();
}

void PeerLink::stamp(wire::Header& header) const {
  header.sender_incarnation = local_incarnation_;
  header.receiver_incarnation = peer_incarnation_;
  header.ack = receive_.delivered_through();
}

Result<uint64_t> PeerLink::send(wire::Frame& frame) {
  stamp(frame.header);
  return send_.push(frame);
}

Result<Arrival> PeerLink::receive(const wire::Frame& frame) {
  TRY(send_.acknowledge(frame.header.ack));
  if (!wire::is_sequenced(frame.header.kind)) return Arrival::kDeliver;
  return receive_.offer(frame);
}

}  // namespace atoll_os::servers::ipcm
