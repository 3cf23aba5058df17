// A split virtqueue in the virtio legacy layout: the driver's side of the rings, over DMA memory.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <span>

#include "atoll/result.h"

namespace atoll_os::servers::devices {

/// Memory the driver reaches at `virt` and the device at `phys`, `size` bytes long.
struct DmaWindow {
  uint8_t* virt;
  uint64_t phys;
  size_t size;
};

/// The rings' wire format (virtio 1.x §2.7, little-endian as x86-64 is).
struct VirtqDesc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(VirtqDesc) == 16);

struct VirtqUsedElem {
  uint32_t id;  // 32 bits on the wire, although descriptor ids fit in 16
  uint32_t len;
};
static_assert(sizeof(VirtqUsedElem) == 8);

inline constexpr uint16_t kDescFlagNext = 1;
inline constexpr uint16_t kDescFlagWrite = 2;
inline constexpr uint16_t kAvailFlagNoInterrupt = 1;        // VRING_AVAIL_F_NO_INTERRUPT
inline constexpr uint16_t kUsedFlagNoNotify = 1;            // VRING_USED_F_NO_NOTIFY
inline constexpr uint32_t kFeatureRingEventIdx = 1u << 29;  // VIRTIO_RING_F_EVENT_IDX

/// The legacy interface gives the device the queue as a page frame number.
inline constexpr size_t kLegacyQueueAlign = 4096;
inline constexpr uint32_t kMaxQueueSize = 32768;

/// Byte offsets of the three parts from the start of the queue, per the legacy formula:
/// descriptors, then the available ring, then the used ring at the next 4096 boundary.
struct VirtqLayout {
  size_t avail_offset;
  size_t used_offset;
  size_t total_size;  // rounded up to 4096, as the device assumes
};

/// kInvalidArgument unless `queue_size` is a power of two in [1, 32768] (0 means the device
/// has no such queue).
Result<VirtqLayout> legacy_layout(uint32_t queue_size);

/// One piece of a buffer: device_writable pieces must follow every device-readable one.
struct BufferSegment {
  uint64_t phys;
  uint32_t len;
  bool device_writable;
};

/// A chain the device has finished: its head id (from add_buffer) and the bytes it wrote.
struct UsedBuffer {
  uint16_t head;
  uint32_t len;
};

/// Driver-private bookkeeping for one descriptor. It lives outside the DMA window so that a
/// device scribbling on the rings cannot corrupt the free list.
struct DescriptorState {
  uint32_t writable_len;  // heads in flight: the chain's device-writable bytes (saturating)
  uint16_t next;          // the free-list / chain link: the driver's copy of desc.next
  uint16_t chain_length;  // heads in flight: descriptors in the chain; 0 otherwise
};

/// The driver's side of one split virtqueue. Not thread-safe: one event loop drives it.
/// Everything read from the used ring is checked; a device that breaks the protocol gets
/// kBadFormat and the queue refuses to take more until init() again (reset the device).
class Virtqueue {
 public:
  Virtqueue() = default;
  Virtqueue(const Virtqueue&) = delete;
  Virtqueue& operator=(const Virtqueue&) = delete;

  /// Lays out a queue of `queue_size` entries (as read from the device) in `ring`, zeroes it
  /// and frees every descriptor. `ring` must start on a 4096 boundary (virt and phys) and be
  /// large enough; `state` needs queue_size entries. With `event_idx` (the device offered
  /// and the driver accepted VIRTIO_RING_F_EVENT_IDX) the event fields replace the flags.
  Result<void> init(DmaWindow ring, std::span<DescriptorState> state, uint32_t queue_size,
                    bool event_idx = false);

  /// Chains `segments` into descriptors and puts the head in the next available-ring slot;
  /// the device sees it after publish(). Returns the head id. kOutOfMemory when too few
  /// descriptors are free (take_used() frees them), kInvalidArgument for an empty chain, one
  /// longer than the queue, or a readable segment after a writable one.
  Result<uint16_t> add_buffer(std::span<const BufferSegment> segments);

  /// Makes every chain added so far visible to the device (barrier, then avail.idx).
  void publish();

  /// Whether the device asked to be told about the chains published since the last call
  /// (VRING_USED_F_NO_NOTIFY, or used->avail_event with event_idx). Then write the queue's
  /// notify register.
  bool needs_notify();

  /// The next chain the device has finished, its descriptors returned to the free list;
  /// nullopt when there is none. kBadFormat if the device wrote an impossible used ring.
  Result<std::optional<UsedBuffer>> take_used();

  /// Asks the device not to interrupt (a hint: it may still do so).
  void disable_interrupts();
  /// Asks for an interrupt at the next used buffer. Returns true if used buffers are already
  /// waiting, which may have arrived without one: the caller must take them now.
  bool enable_interrupts();

  uint32_t size() const { return size_; }
  /// The device's view of the queue; the legacy QUEUE_PFN register takes phys() >> 12.
  uint64_t phys() const { return ring_.phys; }
  uint32_t free_descriptors() const { return num_free_; }
  /// Chains added and not yet taken back.
  uint32_t in_flight() const { return in_flight_; }
  bool broken() const { return broken_; }

 private:
  VirtqDesc* desc(uint32_t i) const;
  uint16_t* avail_field(size_t index) const;  // 0 flags, 1 idx, 2.. ring, 2+size used_event
  uint16_t* used_field(size_t index) const;   // 0 flags, 1 idx
  VirtqUsedElem* used_elem(uint32_t slot) const;
  uint16_t* avail_event() const;
  Result<void> check_chain(std::span<const BufferSegment> segments) const;
  Result<UsedBuffer> check_used(VirtqUsedElem elem) const;
  void free_chain(uint16_t head);

  DmaWindow ring_ = {};
  VirtqLayout layout_ = {};
  std::span<DescriptorState> state_;
  uint32_t size_ = 0;
  uint32_t num_free_ = 0;
  uint32_t in_flight_ = 0;
  uint16_t free_head_ = 0;
  uint16_t avail_idx_ = 0;      // next available slot to fill (driver-private)
  uint16_t published_idx_ = 0;  // avail.idx as last written
  uint16_t notified_idx_ = 0;   // avail.idx at the last needs_notify()
  uint16_t last_used_idx_ = 0;  // next used slot to read
  bool event_idx_ = false;
  bool interrupts_enabled_ = true;
  bool broken_ = false;
};

}  // namespace atoll_os::servers::devices
