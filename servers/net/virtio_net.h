// The virtio-net driver over the legacy (transitional) PCI interface: registers in I/O BAR 0,
// one receive and one transmit queue in DMA memory, INTx interrupts. It knows nothing of
// TCP/IP: it moves Ethernet frames between its buffers and whoever calls it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <optional>
#include <span>

#include "../lib/pci.h"
#include "../lib/virtqueue.h"
#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

namespace atoll_os::servers::net {

// The PCI and virtqueue layer is shared with the page store's virtio-blk driver.
using namespace devices;

/// Both queues' buffers are this size: the 10-byte legacy header, then the frame.
inline constexpr size_t kVirtioBufferBytes = 2048;
inline constexpr size_t kVirtioNetHeaderBytes = 10;  // no VIRTIO_NET_F_MRG_RXBUF
inline constexpr size_t kEthernetFrameMax = 1514;    // without FCS; no VLAN tag
inline constexpr uint32_t kVirtioQueueMax =
    1024;  // entries per queue at most (QEMU: rx_queue_size)

struct VirtioNetCounters {
  uint64_t rx_frames = 0;
  uint64_t rx_dropped = 0;  // the device reported an impossible length
  uint64_t tx_frames = 0;
  uint64_t tx_full = 0;  // transmit refused: every buffer in flight
  uint64_t interrupts = 0;
};

/// A frame the device received, in buffer `buffer` until recycle(buffer).
struct ReceivedFrame {
  uint16_t buffer;
  std::span<uint8_t> frame;
};

class VirtioNet {
 public:
  VirtioNet() = default;
  VirtioNet(const VirtioNet&) = delete;
  VirtioNet& operator=(const VirtioNet&) = delete;

  /// Finds the first virtio-net function, resets and configures it, maps the rings and
  /// buffers (`dma` capability, at `dma_base` in this task) and posts every receive buffer.
  Result<void> init(ConfigSpace& config, abi::Handle dma, uint64_t dma_base);

  const uint8_t* mac() const { return mac_; }
  bool has_mac() const { return has_mac_; }
  /// The legacy IRQ line the firmware routed the device to.
  uint8_t irq() const { return irq_; }
  PciAddress address() const { return address_; }

  /// Reads (and so clears) the ISR status; nonzero when this device interrupted.
  uint8_t acknowledge_interrupt();

  /// Copies the pieces, back to back, into one transmit buffer and hands it to the device.
  /// kOutOfMemory when every buffer is in flight, kInvalidArgument for a frame longer than
  /// kEthernetFrameMax.
  Result<void> transmit(std::span<const std::span<const uint8_t>> pieces);
  /// A transmit buffer to fill directly (the raw-frame benchmark); kOutOfMemory when full.
  Result<std::span<uint8_t>> transmit_buffer();
  /// Sends the first `length` bytes of the buffer transmit_buffer() returned.
  Result<void> transmit_filled(size_t length);

  /// The next received frame, if any. The buffer stays out of the ring until recycle().
  Result<std::optional<ReceivedFrame>> receive();
  /// Puts a buffer back in the receive ring (seen by the device at the next publish).
  void recycle(uint16_t buffer);
  /// Publishes recycled buffers and notifies the device if it asked.
  void publish_receive();
  /// Receive buffers the device holds (posted and not yet returned).
  uint32_t receive_posted() const { return rx_queue_.in_flight(); }
  uint32_t queue_size() const { return rx_queue_.size(); }
  /// Re-enables receive interrupts; true if frames arrived meanwhile (take them now).
  bool enable_receive_interrupts() { return rx_queue_.enable_interrupts(); }

  const VirtioNetCounters& counters() const { return counters_; }

 private:
  Result<void> negotiate();
  Result<void> setup_queue(uint16_t index, Virtqueue& queue, DescriptorState* state,
                           uint8_t*& cursor, uint64_t& phys_cursor);
  void reclaim_transmitted();
  void notify(uint16_t queue);
  uint8_t* rx_buffer(uint16_t i) const { return rx_buffers_ + size_t{i} * kVirtioBufferBytes; }
  uint64_t rx_phys(uint16_t i) const { return rx_phys_ + uint64_t{i} * kVirtioBufferBytes; }

  PciAddress address_ = {};
  uint16_t io_base_ = 0;
  uint8_t irq_ = 0;
  uint8_t mac_[6] = {};
  bool has_mac_ = false;
  bool event_idx_ = false;
  Virtqueue rx_queue_;
  Virtqueue tx_queue_;
  DescriptorState rx_state_[kVirtioQueueMax] = {};
  DescriptorState tx_state_[kVirtioQueueMax] = {};
  uint8_t* rx_buffers_ = nullptr;
  uint64_t rx_phys_ = 0;
  uint8_t* tx_buffers_ = nullptr;
  uint64_t tx_phys_ = 0;
  // Which rx buffer each rx descriptor head carries, and the free tx buffers (a stack).
  uint16_t rx_buffer_of_head_[kVirtioQueueMax] = {};
  uint16_t tx_buffer_of_head_[kVirtioQueueMax] = {};
  uint16_t tx_free_[kVirtioQueueMax] = {};
  uint32_t tx_free_count_ = 0;
  bool tx_reserved_ = false;  // transmit_buffer() handed out tx_free_[tx_free_count_ - 1]
  VirtioNetCounters counters_;
};

}  // namespace atoll_os::servers::net
