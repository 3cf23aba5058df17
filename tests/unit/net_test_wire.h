// Two EthernetInterfaces in one lwIP, joined by an in-memory wire that the test pumps, with
// lwIP's clock (lwip_port/fake_clock.h) moved only by the wire when nothing is in flight.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <deque>
#include <functional>
#include <vector>

#include "net/ethernet_interface.h"
#include "net/net_config.h"

namespace atoll_os::servers::net {

using Frame = std::vector<uint8_t>;

/// One direction of the wire: the frames an interface sent, waiting for the other side.
class FrameQueue final : public FrameTransmitter {
 public:
  Result<void> transmit(const pbuf* frame) override;

  std::deque<Frame> frames;
  size_t capacity = SIZE_MAX;  // transmit() fails with kOutOfMemory beyond it
};

/// Node a (10.77.0.2) and node b (10.77.0.3) on 10.77.0.0/24, each an EthernetInterface.
class TestWire {
 public:
  TestWire();

  /// Delivers queued frames in both directions, dropping every drop_every-th frame if set,
  /// until none is left; returns how many were delivered.
  size_t pump();
  /// Pumps, and runs lwIP's timers (moving the clock to the next one, at most 250 ms at a
  /// time) while the wire is idle, until `done` or `max_ms` of fake time have passed.
  bool run_until(const std::function<bool()>& done, uint32_t max_ms);

  static NetConfig config_a();
  static NetConfig config_b();

  FrameQueue a_to_b;
  FrameQueue b_to_a;
  EthernetInterface a;
  EthernetInterface b;
  size_t drop_every = 0;
  size_t frames_carried = 0;
  size_t frames_dropped = 0;
};

/// The address of `interface`, for binding PCBs.
const ip4_addr_t* address_of(EthernetInterface& interface);

}  // namespace atoll_os::servers::net
