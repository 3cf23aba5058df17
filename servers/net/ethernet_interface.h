// The netif glue: one Ethernet link of lwIP, fed received frames by a device driver and
// sending through it. It knows nothing of the device; lwIP is entered by one thread at a
// time (lwipopts.h: NO_SYS).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/result.h"
#include "lwip/netif.h"
#include "net_config.h"

struct pbuf;

namespace atoll_os::servers::net {

/// The device driver's side of an EthernetInterface.
class FrameTransmitter {
 public:
  /// Sends `frame`, a pbuf chain of frame->tot_len bytes starting at the Ethernet header
  /// (no FCS), by copying or gathering it into the device's buffers before returning: lwIP
  /// may change or free the chain afterwards. kOutOfMemory when the device's queue is full.
  virtual Result<void> transmit(const pbuf* frame) = 0;

 protected:
  ~FrameTransmitter() = default;
};

/// What an EthernetInterface saw, beyond lwIP's own counters (lwip_stats).
struct InterfaceCounters {
  uint64_t rx_frames = 0;             // handed to lwIP (which may still drop them)
  uint64_t rx_dropped_runt = 0;       // shorter than the headers lwIP reads unchecked
  uint64_t rx_dropped_oversize = 0;   // longer than kMaxFrameSize
  uint64_t rx_dropped_no_buffer = 0;  // receive_copy found no free pool pbuf
  uint64_t rx_dropped_refused = 0;    // lwIP's input function returned an error
  uint64_t tx_frames = 0;             // accepted by the transmitter
  uint64_t tx_dropped_queue_full = 0;
  uint64_t tx_dropped_error = 0;  // any other transmitter error
};

/// One lwIP network interface over Ethernet: ARP, IPv4, the configured address and MAC.
/// lwIP keeps a pointer to it, so it never moves; destroying it removes the interface.
class EthernetInterface {
 public:
  static constexpr size_t kHeaderSize = 14;      // destination, source, ethertype
  static constexpr size_t kMaxFrameSize = 1514;  // MTU + header, no FCS, no VLAN tag
  static constexpr size_t kArpFrameSize = 42;    // header + a whole ARP message
  static constexpr uint16_t kMtu = 1500;

  EthernetInterface() = default;
  EthernetInterface(const EthernetInterface&) = delete;
  EthernetInterface& operator=(const EthernetInterface&) = delete;
  ~EthernetInterface();

  /// Starts lwIP if this is the process's first interface, then adds this one, up with its
  /// link up, as the default route, with `config`'s address, subnet and MAC, sending
  /// through `transmitter` (which must outlive it). kBusy if already initialised.
  Result<void> init(const NetConfig& config, FrameTransmitter& transmitter);

  /// Takes ownership of `frame`, a received frame (no FCS) the driver filled, possibly a
  /// custom pbuf over its own buffer (pbuf_alloced_custom: no copy); the whole Ethernet
  /// header and an ARP message must lie in its first pbuf. Drops and counts what is too
  /// short or too long; lwIP drops and counts (lwip_stats) what it refuses.
  void receive(pbuf* frame);
  /// Copies a received frame into pool pbufs and passes it on as receive() does.
  void receive_copy(std::span<const uint8_t> frame);

  const InterfaceCounters& counters() const { return counters_; }
  /// lwIP's view of the interface: its address (netif_ip4_addr), for binding PCBs.
  netif& lwip_netif() { return netif_; }

 private:
  static err_t configure_netif(struct netif* netif);
  static err_t link_output(struct netif* netif, struct pbuf* frame);
  bool has_valid_length(const pbuf* frame);

  struct netif netif_ = {};
  FrameTransmitter* transmitter_ = nullptr;
  uint8_t mac_[6] = {};
  bool added_ = false;
  InterfaceCounters counters_;
};

/// Runs lwIP's expired timers (TCP retransmission and delayed ACKs, ARP ageing, IP
/// reassembly) and frees out-of-order segments if the pbuf pool ran dry. The server's loop
/// calls it when next_timer_delay_ns() has passed, and may call it more often.
void poll_timers();

/// Nanoseconds until lwIP's next timer is due (0 if one is overdue), at millisecond
/// resolution; UINT64_MAX if none is pending.
uint64_t next_timer_delay_ns();

}  // namespace atoll_os::servers::net
