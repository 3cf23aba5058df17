// ICMP echo over lwIP's raw API: the raw control block sees every ICMP packet first and
// eats only the echo reply it waits for; lwIP's own ICMP answers the echo requests.
#include "pinger.h"

#include "atoll/user/clock.h"
#include "atoll/user/syscalls.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"

namespace atoll_os::servers::net {
namespace {

constexpr uint16_t kPingId = 0xa701;
constexpr uint16_t kPayloadBytes = 32;
constexpr uint64_t kAnsweredBit = 1;

u8_t raw_arrived(void* arg, raw_pcb* pcb, pbuf* p, const ip_addr_t* address) {
  return Pinger::on_raw_entry(arg, pcb, p, address);
}

}  // namespace

Result<void> Pinger::init() {
  answered_ = TRY(user::notification_create());
  pcb_ = raw_new(IP_PROTO_ICMP);
  if (pcb_ == nullptr) return Err(Error::kOutOfMemory);
  raw_recv(pcb_, raw_arrived, this);
  raw_bind(pcb_, IP_ADDR_ANY);
  return success();
}

Result<void> Pinger::send(uint32_t ip) {
  if (waiting_) return Err(Error::kBusy);
  pbuf* p = pbuf_alloc(PBUF_IP, sizeof(icmp_echo_hdr) + kPayloadBytes, PBUF_RAM);
  if (p == nullptr) return Err(Error::kOutOfMemory);
  auto* echo = static_cast<icmp_echo_hdr*>(p->payload);
  ICMPH_TYPE_SET(echo, ICMP_ECHO);
  ICMPH_CODE_SET(echo, 0);
  echo->id = lwip_htons(kPingId);
  echo->seqno = lwip_htons(++sequence_);
  echo->chksum = 0;
  auto* payload = reinterpret_cast<uint8_t*>(echo + 1);
  for (uint16_t i = 0; i < kPayloadBytes; ++i) payload[i] = static_cast<uint8_t>(i);
  echo->chksum = inet_chksum(echo, p->len);
  ip_addr_t destination;
  ip4_addr_set_u32(&destination, ip);
  (void)user::notification_wait(answered_, user::kPoll);  // forget a late answer
  sent_ns_ = user::now_ns();
  answered_ns_ = 0;
  err_t sent = raw_sendto(pcb_, p, &destination);
  pbuf_free(p);
  if (sent != ERR_OK) return Err(Error::kNotFound);
  waiting_ = true;
  return success();
}

bool Pinger::wait(uint64_t timeout_ns) {
  return user::notification_wait(answered_, timeout_ns).ok();
}

Result<uint64_t> Pinger::finish() {
  waiting_ = false;
  if (answered_ns_ == 0) return Err(Error::kTimedOut);
  return answered_ns_ - sent_ns_;
}

bool Pinger::matches(pbuf* p) const {
  if (p->len < PBUF_IP_HLEN) return false;
  auto* ip = static_cast<const ip_hdr*>(p->payload);
  uint16_t header = IPH_HL_BYTES(ip);
  if (p->len < header + sizeof(icmp_echo_hdr)) return false;
  auto* echo = reinterpret_cast<const icmp_echo_hdr*>(static_cast<uint8_t*>(p->payload) + header);
  return ICMPH_TYPE(echo) == ICMP_ER && echo->id == lwip_htons(kPingId) &&
         echo->seqno == lwip_htons(sequence_);
}

uint8_t Pinger::on_raw_entry(void* arg, raw_pcb*, pbuf* p, const ip_addr_t*) {
  auto* pinger = static_cast<Pinger*>(arg);
  if (!pinger->waiting_ || !pinger->matches(p)) return 0;  // lwIP's ICMP handles the rest
  pinger->answered_ns_ = user::now_ns();
  (void)user::notification_signal(pinger->answered_, kAnsweredBit);
  pbuf_free(p);
  return 1;
}

}  // namespace atoll_os::servers::net
