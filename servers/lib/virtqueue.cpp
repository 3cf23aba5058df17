// The split virtqueue's driver side: descriptor chains, the available ring, the used ring.
#include "virtqueue.h"

#include <string.h>

#include "ring_barrier.h"

namespace atoll_os::servers::devices {
namespace {

constexpr size_t align_up(size_t value, size_t align) {
  return (value + align - 1) & ~(align - 1);
}

// The device reads and writes the rings concurrently: every access to a field it may touch
// after publication goes through these, so the compiler neither caches nor tears it.
template <typename T>
T load_shared(const T* field) {
  return *static_cast<const volatile T*>(field);
}

template <typename T>
void store_shared(T* field, T value) {
  *static_cast<volatile T*>(field) = value;
}

}  // namespace

Result<VirtqLayout> legacy_layout(uint32_t queue_size) {
  if (queue_size == 0 || queue_size > kMaxQueueSize || (queue_size & (queue_size - 1)) != 0) {
    return Err(Error::kInvalidArgument);
  }
  // virtio 1.x §2.7.2 (legacy): the descriptors and the available ring (flags, idx,
  // ring[], used_event) share the first part; the used ring (flags, idx, ring[],
  // avail_event) starts at the next page.
  const size_t avail_offset = sizeof(VirtqDesc) * queue_size;
  const size_t avail_end = avail_offset + sizeof(uint16_t) * (3 + queue_size);
  const size_t used_offset = align_up(avail_end, kLegacyQueueAlign);
  const size_t used_bytes = sizeof(uint16_t) * 3 + sizeof(VirtqUsedElem) * queue_size;
  return VirtqLayout{avail_offset, used_offset,
                     used_offset + align_up(used_bytes, kLegacyQueueAlign)};
}

Result<void> Virtqueue::init(DmaWindow ring, std::span<DescriptorState> state, uint32_t queue_size,
                             bool event_idx) {
  const VirtqLayout layout = TRY(legacy_layout(queue_size));
  if (ring.virt == nullptr || reinterpret_cast<uintptr_t>(ring.virt) % kLegacyQueueAlign != 0 ||
      ring.phys % kLegacyQueueAlign != 0 || state.size() < queue_size) {
    return Err(Error::kInvalidArgument);
  }
  if (ring.size < layout.total_size) return Err(Error::kOutOfRange);

  ring_ = ring;
  layout_ = layout;
  state_ = state.first(queue_size);
  size_ = queue_size;
  memset(ring_.virt, 0, layout_.total_size);
  for (uint32_t i = 0; i < size_; ++i) {
    // The last link is never followed: num_free_ bounds every walk.
    state_[i] = {0, static_cast<uint16_t>((i + 1) % size_), 0};
  }
  num_free_ = size_;
  in_flight_ = 0;
  free_head_ = 0;
  avail_idx_ = published_idx_ = notified_idx_ = last_used_idx_ = 0;
  event_idx_ = event_idx;
  interrupts_enabled_ = true;
  broken_ = false;
  return success();
}

VirtqDesc* Virtqueue::desc(uint32_t i) const {
  return reinterpret_cast<VirtqDesc*>(ring_.virt) + i;
}

uint16_t* Virtqueue::avail_field(size_t index) const {
  return reinterpret_cast<uint16_t*>(ring_.virt + layout_.avail_offset) + index;
}

uint16_t* Virtqueue::used_field(size_t index) const {
  return reinterpret_cast<uint16_t*>(ring_.virt + layout_.used_offset) + index;
}

VirtqUsedElem* Virtqueue::used_elem(uint32_t slot) const {
  return reinterpret_cast<VirtqUsedElem*>(ring_.virt + layout_.used_offset + 4) + slot;
}

uint16_t* Virtqueue::avail_event() const {
  return reinterpret_cast<uint16_t*>(used_elem(size_));
}

Result<void> Virtqueue::check_chain(std::span<const BufferSegment> segments) const {
  if (segments.empty() || segments.size() > size_) return Err(Error::kInvalidArgument);
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i - 1].device_writable && !segments[i].device_writable) {
      return Err(Error::kInvalidArgument);
    }
  }
  if (segments.size() > num_free_) return Err(Error::kOutOfMemory);
  return success();
}

Result<uint16_t> Virtqueue::add_buffer(std::span<const BufferSegment> segments) {
  TRY(check_chain(segments));
  // The chain takes descriptors in free-list order, so the private links already chain
  // them; free_chain() relies on this.
  const uint16_t head = free_head_;
  uint16_t id = head;
  uint64_t writable = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const BufferSegment& segment = segments[i];
    const bool last = i + 1 == segments.size();
    uint16_t flags = last ? 0 : kDescFlagNext;
    if (segment.device_writable) {
      flags |= kDescFlagWrite;
      writable += segment.len;
    }
    *desc(id) = {segment.phys, segment.len, flags, last ? uint16_t{0} : state_[id].next};
    id = state_[id].next;
  }
  free_head_ = id;
  num_free_ -= static_cast<uint32_t>(segments.size());
  state_[head].chain_length = static_cast<uint16_t>(segments.size());
  state_[head].writable_len = writable > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(writable);
  ++in_flight_;

  *avail_field(2 + (avail_idx_ & (size_ - 1))) = head;
  ++avail_idx_;
  return head;
}

void Virtqueue::publish() {
  if (published_idx_ == avail_idx_) return;
  ring_barrier(RingOrder::kPublish);  // descriptors and ring slots before the index
  store_shared(avail_field(1), avail_idx_);
  published_idx_ = avail_idx_;
}

bool Virtqueue::needs_notify() {
  // The new avail.idx must be visible before the device's suppression fields are read, or
  // the device may go to sleep having missed it while we skip the notification.
  ring_barrier(RingOrder::kFull);
  const uint16_t old_idx = notified_idx_;
  const uint16_t new_idx = published_idx_;
  notified_idx_ = new_idx;
  if (old_idx == new_idx) return false;
  if (event_idx_) {
    // vring_need_event(): notify if avail_event lies in [old_idx, new_idx).
    const uint16_t event = load_shared(avail_event());
    return static_cast<uint16_t>(new_idx - event - 1) < static_cast<uint16_t>(new_idx - old_idx);
  }
  return (load_shared(used_field(0)) & kUsedFlagNoNotify) == 0;
}

Result<UsedBuffer> Virtqueue::check_used(VirtqUsedElem elem) const {
  if (elem.id >= size_) return Err(Error::kBadFormat);
  const DescriptorState& head = state_[elem.id];
  if (head.chain_length == 0) return Err(Error::kBadFormat);  // not a head in flight
  if (elem.len > head.writable_len) return Err(Error::kBadFormat);
  return UsedBuffer{static_cast<uint16_t>(elem.id), elem.len};
}

Result<std::optional<UsedBuffer>> Virtqueue::take_used() {
  if (broken_) return Err(Error::kBadFormat);
  const uint16_t used_idx = load_shared(used_field(1));
  const uint16_t pending = static_cast<uint16_t>(used_idx - last_used_idx_);
  if (pending == 0) return std::optional<UsedBuffer>{};
  // The device can only finish chains it was given: a larger step is a corrupt index (and
  // rules out any step beyond the queue size).
  if (pending > in_flight_) {
    broken_ = true;
    return Err(Error::kBadFormat);
  }
  ring_barrier(RingOrder::kConsume);  // the entry is read after the index that covers it
  const VirtqUsedElem* slot = used_elem(last_used_idx_ & (size_ - 1));
  const VirtqUsedElem elem{load_shared(&slot->id), load_shared(&slot->len)};
  Result<UsedBuffer> used = check_used(elem);
  if (!used) {
    broken_ = true;
    return Err(used.error());
  }
  ++last_used_idx_;
  free_chain(used->head);
  // With event_idx, used_event moves along so that the next used buffer interrupts.
  if (event_idx_ && interrupts_enabled_) store_shared(avail_field(2 + size_), last_used_idx_);
  return std::optional<UsedBuffer>{*used};
}

void Virtqueue::free_chain(uint16_t head) {
  DescriptorState& state = state_[head];
  uint16_t tail = head;
  for (uint16_t i = 1; i < state.chain_length; ++i) tail = state_[tail].next;
  state_[tail].next = free_head_;
  free_head_ = head;
  num_free_ += state.chain_length;
  state.chain_length = 0;
  state.writable_len = 0;
  --in_flight_;
}

void Virtqueue::disable_interrupts() {
  interrupts_enabled_ = false;
  // With event_idx, used_event simply stops following last_used_idx_.
  if (!event_idx_) store_shared(avail_field(0), kAvailFlagNoInterrupt);
}

bool Virtqueue::enable_interrupts() {
  interrupts_enabled_ = true;
  if (event_idx_) {
    store_shared(avail_field(2 + size_), last_used_idx_);
  } else {
    store_shared(avail_field(0), uint16_t{0});
  }
  // The request must be visible before we look again, or a buffer used in between would
  // raise no interrupt and wait unseen.
  ring_barrier(RingOrder::kFull);
  return load_shared(used_field(1)) != last_used_idx_;
}

}  // namespace atoll_os::servers::devices
