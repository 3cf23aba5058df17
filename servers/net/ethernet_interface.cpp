// The netif glue between lwIP and an Ethernet driver: input checks, output, timers.
#include "ethernet_interface.h"

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

namespace atoll_os::servers::net {
namespace {

constexpr uint16_t kEthertypeArp = 0x0806;

// lwIP is one stack per process; lwip_init() twice would reset pools that are in use.
void start_lwip_once() {
  static bool started = false;
  if (started) return;
  lwip_init();
  started = true;
}

ip4_addr_t to_ip4(const std::array<uint8_t, 4>& bytes) {
  ip4_addr_t address;
  IP4_ADDR(&address, bytes[0], bytes[1], bytes[2], bytes[3]);
  return address;
}

uint16_t ethertype_of(const pbuf* frame) {
  const auto* header = static_cast<const uint8_t*>(frame->payload);
  return uint16_t(header[12] << 8 | header[13]);
}

}  // namespace

EthernetInterface::~EthernetInterface() {
  if (added_) netif_remove(&netif_);
}

Result<void> EthernetInterface::init(const NetConfig& config, FrameTransmitter& transmitter) {
  if (added_) return Err(Error::kBusy);
  start_lwip_once();
  transmitter_ = &transmitter;
  __builtin_memcpy(mac_, config.mac.data(), sizeof(mac_));
  ip4_addr_t address = to_ip4(config.ip);
  ip4_addr_t netmask = to_ip4(config.netmask());
  // No gateway: the cluster is one subnet.
  if (netif_add(&netif_, &address, &netmask, IP4_ADDR_ANY4, this, configure_netif,
                ethernet_input) == nullptr) {
    return Err(Error::kInvalidArgument);
  }
  added_ = true;
  netif_set_default(&netif_);
  netif_set_up(&netif_);
  netif_set_link_up(&netif_);  // announces the address with a gratuitous ARP
  return success();
}

// netif_add's init callback: what lwIP needs to know about an Ethernet link.
err_t EthernetInterface::configure_netif(struct netif* netif) {
  auto* self = static_cast<EthernetInterface*>(netif->state);
  netif->name[0] = 'e';
  netif->name[1] = 'n';
  netif->output = etharp_output;
  netif->linkoutput = link_output;
  netif->mtu = kMtu;
  netif->hwaddr_len = ETH_HWADDR_LEN;
  __builtin_memcpy(netif->hwaddr, self->mac_, ETH_HWADDR_LEN);
  netif->flags |= NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  return ERR_OK;
}

// ERR_MEM for a full queue: TCP keeps the segment and sends it again later.
err_t EthernetInterface::link_output(struct netif* netif, struct pbuf* frame) {
  auto* self = static_cast<EthernetInterface*>(netif->state);
  Result<void> sent = self->transmitter_->transmit(frame);
  if (sent.ok()) {
    ++self->counters_.tx_frames;
    return ERR_OK;
  }
  if (sent.error() == Error::kOutOfMemory) {
    ++self->counters_.tx_dropped_queue_full;
    return ERR_MEM;
  }
  ++self->counters_.tx_dropped_error;
  return ERR_IF;
}

// lwIP 2.1 reads an ARP message without checking that the frame holds one, so a short ARP
// frame counts as a runt here.
bool EthernetInterface::has_valid_length(const pbuf* frame) {
  if (frame->tot_len > kMaxFrameSize) {
    ++counters_.rx_dropped_oversize;
    return false;
  }
  if (frame->len < kHeaderSize ||
      (ethertype_of(frame) == kEthertypeArp && frame->len < kArpFrameSize)) {
    ++counters_.rx_dropped_runt;
    return false;
  }
  return true;
}

void EthernetInterface::receive(pbuf* frame) {
  if (!has_valid_length(frame)) {
    pbuf_free(frame);
    return;
  }
  ++counters_.rx_frames;
  // On an error the caller still owns the frame (lwIP's netif input contract).
  if (netif_.input(frame, &netif_) != ERR_OK) {
    ++counters_.rx_dropped_refused;
    pbuf_free(frame);
  }
}

void EthernetInterface::receive_copy(std::span<const uint8_t> frame) {
  if (frame.size() > kMaxFrameSize) {
    ++counters_.rx_dropped_oversize;
    return;
  }
  // One pool pbuf holds a whole frame (PBUF_POOL_BUFSIZE), so the headers are contiguous.
  pbuf* copy = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(frame.size()), PBUF_POOL);
  if (copy == nullptr) {
    ++counters_.rx_dropped_no_buffer;
    return;
  }
  pbuf_take(copy, frame.data(), static_cast<u16_t>(frame.size()));
  receive(copy);
}

void poll_timers() {
  sys_check_timeouts();
}

uint64_t next_timer_delay_ns() {
  u32_t milliseconds = sys_timeouts_sleeptime();
  if (milliseconds == SYS_TIMEOUTS_SLEEPTIME_INFINITE) return UINT64_MAX;
  return uint64_t{milliseconds} * 1'000'000;
}

}  // namespace atoll_os::servers::net
