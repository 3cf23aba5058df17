// The link between the virtio-net driver and lwIP: received frames go to lwIP without a copy
// (custom pbufs over the receive buffers, recycled when lwIP frees them); frames lwIP sends
// are copied once, into a transmit buffer. Frames of kRawEthertype never reach lwIP: they
// are counted (the raw-frame benchmark).
#pragma once

#include <stdint.h>

#include "atoll/protocols/net.h"
#include "atoll/result.h"
#include "ethernet_interface.h"
#include "lwip/pbuf.h"
#include "virtio_net.h"

namespace atoll_os::servers::net {

struct RawCounters {
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t first_ns = 0;
  uint64_t last_ns = 0;
};

class Link final : public FrameTransmitter {
 public:
  Link(VirtioNet& device, EthernetInterface& interface) : device_(device), interface_(interface) {}

  Result<void> transmit(const pbuf* frame) override;

  /// Hands every frame the device has received to lwIP (or the raw counters), then gives the
  /// device back the buffers that are free again.
  void drain_receive();

  /// Sends `request.count` raw frames as fast as the transmit queue takes them.
  Result<protocols::net::RawSendReply> raw_send(const protocols::net::RawSendRequest& request);

  const RawCounters& raw() const { return raw_; }

 private:
  struct ReceivePbuf {
    pbuf_custom custom;
    Link* link;
    uint16_t buffer;
  };
  static void free_receive_pbuf(pbuf* p);
  void deliver(const ReceivedFrame& frame);
  uint8_t* next_transmit_buffer();

  VirtioNet& device_;
  EthernetInterface& interface_;
  ReceivePbuf receive_pbufs_[kVirtioQueueMax] = {};
  RawCounters raw_;
};

}  // namespace atoll_os::servers::net
