// Ports, their bounded queues, and the move protocol's ordering rules.
#include "port_table.h"

namespace atoll_os::servers::ipcm {

PortTable::PortTable() {
  for (size_t i = 0; i < kMessageSlots; ++i) {
    next_[i] = i + 1 < kMessageSlots ? uint16_t(i + 1) : kNoSlot;
  }
  free_head_ = 0;
  free_count_ = kMessageSlots;
}

const PortTable::Port* PortTable::find(PortId port) const {
  for (const Port& p : ports_) {
    if (p.state != State::kFree && p.id == port) return &p;
  }
  return nullptr;
}

PortTable::Port* PortTable::find(PortId port) {
  return const_cast<Port*>(static_cast<const PortTable*>(this)->find(port));
}

PortTable::Port* PortTable::free_port() {
  for (Port& p : ports_) {
    if (p.state == State::kFree) return &p;
  }
  return nullptr;
}

Result<uint16_t> PortTable::take_slot(const PortMessage& message) {
  if (free_head_ == kNoSlot) return Err(Error::kOutOfMemory);
  uint16_t slot = free_head_;
  free_head_ = next_[slot];
  --free_count_;
  slots_[slot] = message;
  next_[slot] = kNoSlot;
  return slot;
}

void PortTable::append(MessageList& list, uint16_t slot) {
  next_[slot] = kNoSlot;
  if (list.tail == kNoSlot) {
    list.head = slot;
  } else {
    next_[list.tail] = slot;
  }
  list.tail = slot;
  ++list.count;
}

uint16_t PortTable::pop(MessageList& list) {
  uint16_t slot = list.head;
  list.head = next_[slot];
  if (list.head == kNoSlot) list.tail = kNoSlot;
  --list.count;
  return slot;
}

void PortTable::free_slot(uint16_t slot) {
  next_[slot] = free_head_;
  free_head_ = slot;
  ++free_count_;
}

void PortTable::drop_all(MessageList& list) {
  while (list.count != 0) free_slot(pop(list));
}

Result<void> PortTable::open(PortId port, uint64_t owner) {
  if (find(port) != nullptr) return Err(Error::kAlreadyExists);
  Port* p = free_port();
  if (p == nullptr) return Err(Error::kOutOfMemory);
  *p = Port{port, State::kLocal, owner, Location{0, 0}, 0, {}, {}};
  return success();
}

Result<size_t> PortTable::close(PortId port, uint64_t owner) {
  Port* p = find(port);
  if (p == nullptr || p->state != State::kLocal) return Err(Error::kNotFound);
  if (p->owner != owner) return Err(Error::kAccessDenied);
  size_t dropped = p->queue.count + p->held.count;
  drop_all(p->queue);
  drop_all(p->held);
  p->state = State::kFree;
  return dropped;
}

Result<Delivery> PortTable::deliver(PortId port, const PortMessage& message) {
  Port* p = find(port);
  if (p == nullptr) return Err(Error::kNotFound);
  if (p->state == State::kLeaving) return Err(Error::kBusy);
  if (p->state == State::kForwarded) return Delivery{Placement::kForward, p->location};
  if (message.sender_node >= kSenderNodesMax) return Err(Error::kOutOfRange);
  // Held messages have a budget of their own: if they shared the queue's, a sender's held
  // messages could fill it and block the very stream its flush comes on.
  bool wait_for_flush = message.after_move && (p->flushed >> message.sender_node & 1) == 0;
  const MessageList& list = wait_for_flush ? p->held : p->queue;
  if (list.count >= kPortQueueMax) return Err(Error::kOutOfMemory);
  uint16_t slot = TRY(take_slot(message));
  append(wait_for_flush ? p->held : p->queue, slot);
  return Delivery{wait_for_flush ? Placement::kHeld : Placement::kQueued, {}};
}

// Moves held messages (of `sender_node`, or all) to the queue's tail, keeping their order.
void PortTable::release_held_of(Port& port, uint16_t sender_node, bool any_sender) {
  MessageList still_held;
  while (port.held.count != 0) {
    uint16_t slot = pop(port.held);
    bool release = any_sender || slots_[slot].sender_node == sender_node;
    append(release ? port.queue : still_held, slot);
  }
  port.held = still_held;
}

Result<Delivery> PortTable::flush(PortId port, uint16_t sender_node) {
  Port* p = find(port);
  if (p == nullptr) return Err(Error::kNotFound);
  if (p->state == State::kLeaving) return Err(Error::kBusy);
  if (p->state == State::kForwarded) return Delivery{Placement::kForward, p->location};
  if (sender_node >= kSenderNodesMax) return Err(Error::kOutOfRange);
  p->flushed |= uint64_t(1) << sender_node;
  release_held_of(*p, sender_node, false);
  return Delivery{Placement::kQueued, {}};
}

Result<bool> PortTable::receive(PortId port, uint64_t owner, PortMessage& out) {
  Port* p = find(port);
  if (p == nullptr || p->state != State::kLocal) return Err(Error::kNotFound);
  if (p->owner != owner) return Err(Error::kAccessDenied);
  if (p->queue.count == 0) return false;
  uint16_t slot = pop(p->queue);
  out = slots_[slot];
  free_slot(slot);
  return true;
}

Result<void> PortTable::expect(PortId port, uint64_t epoch) {
  Port* p = find(port);
  // A port coming back reuses its forwarding record.
  if (p != nullptr && p->state != State::kForwarded) return Err(Error::kAlreadyExists);
  if (p == nullptr) p = free_port();
  if (p == nullptr) return Err(Error::kOutOfMemory);
  *p = Port{port, State::kArriving, 0, Location{0, epoch}, 0, {}, {}};
  return success();
}

Result<Location> PortTable::move_out(PortId port, uint16_t node, std::span<PortMessage> out,
                                     size_t& moved) {
  Port* p = find(port);
  if (p == nullptr || p->state != State::kLocal) return Err(Error::kNotFound);
  if (p->held.count != 0) return Err(Error::kBusy);
  if (out.size() < p->queue.count) return Err(Error::kOutOfRange);
  moved = 0;
  while (p->queue.count != 0) {
    uint16_t slot = pop(p->queue);
    out[moved++] = slots_[slot];
    free_slot(slot);
  }
  p->state = State::kLeaving;
  p->location = Location{node, p->location.epoch + 1};
  return p->location;
}

Result<void> PortTable::departed(PortId port) {
  Port* p = find(port);
  if (p == nullptr || p->state != State::kLeaving) return Err(Error::kNotFound);
  p->state = State::kForwarded;
  return success();
}

Result<void> PortTable::move_in(PortId port, uint64_t owner, std::span<const PortMessage> queue) {
  Port* p = find(port);
  if (p == nullptr || p->state != State::kArriving) return Err(Error::kNotFound);
  if (free_count_ < queue.size()) return Err(Error::kOutOfMemory);
  // The source's queue is older than anything that reached this node since expect().
  MessageList installed;
  for (const PortMessage& message : queue) append(installed, take_slot(message).value());
  while (p->queue.count != 0) append(installed, pop(p->queue));
  p->queue = installed;
  p->owner = owner;
  p->state = State::kLocal;
  return success();
}

Result<size_t> PortTable::unexpect(PortId port) {
  Port* p = find(port);
  if (p == nullptr || p->state != State::kArriving) return Err(Error::kNotFound);
  size_t dropped = p->queue.count + p->held.count;
  drop_all(p->queue);
  drop_all(p->held);
  p->state = State::kFree;
  return dropped;
}

Result<uint64_t> PortTable::epoch(PortId port) const {
  const Port* p = find(port);
  if (p == nullptr || p->state != State::kLocal) return Err(Error::kNotFound);
  return p->location.epoch;
}

Result<void> PortTable::forget_forward(PortId port) {
  Port* p = find(port);
  if (p == nullptr || p->state != State::kForwarded) return Err(Error::kNotFound);
  p->state = State::kFree;
  return success();
}

void PortTable::release_held() {
  for (Port& p : ports_) {
    if (p.state != State::kFree) release_held_of(p, 0, true);
  }
}

size_t PortTable::queued(PortId port) const {
  const Port* p = find(port);
  return p == nullptr ? 0 : p->queue.count;
}

size_t PortTable::queued_from(PortId port, uint64_t charged_to) const {
  const Port* p = find(port);
  if (p == nullptr) return 0;
  size_t n = 0;
  for (const MessageList* list : {&p->queue, &p->held}) {
    for (uint16_t slot = list->head; slot != kNoSlot; slot = next_[slot]) {
      n += slots_[slot].charged_to == charged_to;
    }
  }
  return n;
}

bool PortTable::is_local(PortId port) const {
  const Port* p = find(port);
  return p != nullptr && p->state == State::kLocal;
}

}  // namespace atoll_os::servers::ipcm
