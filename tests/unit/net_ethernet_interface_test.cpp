// The netif glue with lwIP over an in-memory wire: ARP, ICMP echo, UDP echo, a full transmit
// queue, and malformed frames that must be dropped and counted without harm.
#include <gtest/gtest.h>

#include <string.h>

#include <vector>

#include "lwip/etharp.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/icmp.h"
#include "lwip/raw.h"
#include "lwip/stats.h"
#include "lwip/udp.h"
#include "net_test_wire.h"

namespace atoll_os::servers::net {
namespace {

constexpr uint16_t kEchoId = 0x4154;
constexpr size_t kIpChecksumOffset = EthernetInterface::kHeaderSize + 10;

bool has_arp_entry(EthernetInterface& from, EthernetInterface& to, eth_addr* mac = nullptr) {
  eth_addr* found_mac;
  const ip4_addr_t* found_ip;
  if (etharp_find_addr(&from.lwip_netif(), address_of(to), &found_mac, &found_ip) < 0) {
    return false;
  }
  if (mac != nullptr) *mac = *found_mac;
  return true;
}

TEST(EthernetInterface, InitTwiceIsRefused) {
  TestWire wire;
  EXPECT_EQ(wire.a.init(TestWire::config_a(), wire.a_to_b).error(), Error::kBusy);
}

TEST(EthernetInterface, ArpResolvesThePeer) {
  TestWire wire;
  wire.pump();  // the gratuitous ARPs of link-up teach nobody a new entry
  ASSERT_FALSE(has_arp_entry(wire.a, wire.b));

  ASSERT_EQ(etharp_request(&wire.a.lwip_netif(), address_of(wire.b)), ERR_OK);
  ASSERT_EQ(wire.a_to_b.frames.size(), 1u);
  const Frame& request = wire.a_to_b.frames.front();
  EXPECT_EQ(request.size(), EthernetInterface::kArpFrameSize);
  EXPECT_EQ(Frame(request.begin(), request.begin() + 6), Frame(6, 0xff));  // broadcast
  EXPECT_EQ(request[12], 0x08);
  EXPECT_EQ(request[13], 0x06);
  wire.pump();

  eth_addr mac;
  ASSERT_TRUE(has_arp_entry(wire.a, wire.b, &mac));
  const std::array<uint8_t, 6> expected = TestWire::config_b().mac;
  EXPECT_EQ(Frame(mac.addr, mac.addr + 6), Frame(expected.begin(), expected.end()));
  EXPECT_TRUE(has_arp_entry(wire.b, wire.a));  // b learned a from the request to it
}

/// An ICMP echo client on a raw PCB bound to one interface's address.
struct Pinger {
  explicit Pinger(EthernetInterface& from) {
    pcb = raw_new(IP_PROTO_ICMP);
    raw_bind(pcb, address_of(from));
    raw_recv(pcb, on_receive, this);
  }
  ~Pinger() { raw_remove(pcb); }

  // Builds an echo request with `payload`, checksum included, and sends it to `to`.
  err_t send(EthernetInterface& to, uint16_t sequence, const Frame& payload) {
    pbuf* p = pbuf_alloc(PBUF_IP, u16_t(sizeof(icmp_echo_hdr) + payload.size()), PBUF_RAM);
    auto* echo = static_cast<icmp_echo_hdr*>(p->payload);
    echo->type = ICMP_ECHO;
    echo->code = 0;
    echo->chksum = 0;
    echo->id = lwip_htons(kEchoId);
    echo->seqno = lwip_htons(sequence);
    memcpy(echo + 1, payload.data(), payload.size());
    echo->chksum = inet_chksum(echo, p->len);
    err_t sent = raw_sendto(pcb, p, address_of(to));
    pbuf_free(p);
    return sent;
  }

  // Keeps echo replies (their sequence number and payload); leaves the rest to lwIP.
  static u8_t on_receive(void* arg, raw_pcb*, pbuf* p, const ip_addr_t* from) {
    auto* self = static_cast<Pinger*>(arg);
    Frame packet(p->tot_len);
    pbuf_copy_partial(p, packet.data(), p->tot_len, 0);
    size_t header = (packet[0] & 0xf) * 4;
    if (packet.size() < header + sizeof(icmp_echo_hdr) || packet[header] != ICMP_ER) return 0;
    self->reply_from = *from;
    self->reply_sequences.push_back(uint16_t(packet[header + 6] << 8 | packet[header + 7]));
    self->reply_payload.assign(packet.begin() + header + sizeof(icmp_echo_hdr), packet.end());
    pbuf_free(p);
    return 1;
  }

  raw_pcb* pcb;
  ip4_addr_t reply_from = {};
  std::vector<uint16_t> reply_sequences;
  Frame reply_payload;
};

TEST(EthernetInterface, LwipAnswersIcmpEcho) {
  TestWire wire;
  Pinger pinger(wire.a);
  Frame payload(56);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(i * 7);
  ASSERT_EQ(pinger.send(wire.b, 1, payload), ERR_OK);  // waits in the ARP queue
  ASSERT_EQ(pinger.send(wire.b, 2, payload), ERR_OK);
  wire.pump();

  EXPECT_EQ(pinger.reply_sequences, (std::vector<uint16_t>{1, 2}));
  EXPECT_EQ(pinger.reply_payload, payload);
  EXPECT_TRUE(ip4_addr_cmp(&pinger.reply_from, address_of(wire.b)));
}

/// UDP: an echo server on b, a client on a that keeps what comes back.
struct UdpEcho {
  explicit UdpEcho(TestWire& wire) {
    server = udp_new();
    EXPECT_EQ(udp_bind(server, address_of(wire.b), 7), ERR_OK);
    udp_recv(server, echo_back, nullptr);
    client = udp_new();
    EXPECT_EQ(udp_bind(client, address_of(wire.a), 4000), ERR_OK);
    udp_recv(client, keep, this);
  }
  ~UdpEcho() {
    udp_remove(server);
    udp_remove(client);
  }

  static void echo_back(void*, udp_pcb* pcb, pbuf* p, const ip_addr_t* from, u16_t port) {
    EXPECT_EQ(udp_sendto(pcb, p, from, port), ERR_OK);
    pbuf_free(p);
  }
  static void keep(void* arg, udp_pcb*, pbuf* p, const ip_addr_t*, u16_t port) {
    EXPECT_EQ(port, 7);
    Frame datagram(p->tot_len);
    pbuf_copy_partial(p, datagram.data(), p->tot_len, 0);
    static_cast<UdpEcho*>(arg)->received.push_back(std::move(datagram));
    pbuf_free(p);
  }

  err_t send(EthernetInterface& to, const Frame& datagram) {
    pbuf* p = pbuf_alloc(PBUF_TRANSPORT, u16_t(datagram.size()), PBUF_RAM);
    pbuf_take(p, datagram.data(), u16_t(datagram.size()));
    err_t sent = udp_sendto(client, p, address_of(to), 7);
    pbuf_free(p);
    return sent;
  }

  udp_pcb* server;
  udp_pcb* client;
  std::vector<Frame> received;
};

TEST(EthernetInterface, UdpEchoesThroughTheRawApi) {
  TestWire wire;
  UdpEcho echo(wire);
  std::vector<Frame> sent;
  // 1472 bytes fill one frame; 4000 take three IP fragments each way.
  for (size_t size : {1, 512, 1472, 4000}) {
    Frame datagram(size);
    for (size_t i = 0; i < size; ++i) datagram[i] = uint8_t(i ^ size);
    ASSERT_EQ(echo.send(wire.b, datagram), ERR_OK);
    sent.push_back(datagram);
    wire.pump();  // one at a time: the ARP queue before resolution holds one packet
  }
  EXPECT_EQ(echo.received, sent);
}

TEST(EthernetInterface, FullTransmitQueueIsCountedAndReported) {
  TestWire wire;
  UdpEcho echo(wire);
  ASSERT_EQ(echo.send(wire.b, Frame(10, 1)), ERR_OK);
  wire.pump();
  ASSERT_EQ(echo.received.size(), 1u);

  uint64_t sent_before = wire.a.counters().tx_frames;
  wire.a_to_b.capacity = 0;
  EXPECT_EQ(echo.send(wire.b, Frame(10, 2)), ERR_MEM);
  EXPECT_EQ(wire.a.counters().tx_dropped_queue_full, 1u);
  EXPECT_EQ(wire.a.counters().tx_frames, sent_before);
}

/// A valid ICMP echo request from a to b and an ARP request, taken off the wire, for the
/// malformed-frame tests to mangle.
struct CapturedFrames {
  explicit CapturedFrames(TestWire& wire) {
    Pinger pinger(wire.a);
    EXPECT_EQ(pinger.send(wire.b, 1, Frame(32, 0x5a)), ERR_OK);
    wire.pump();  // resolves b, delivers the first echo
    EXPECT_EQ(pinger.send(wire.b, 2, Frame(32, 0x5a)), ERR_OK);
    EXPECT_EQ(wire.a_to_b.frames.size(), 1u);
    echo = wire.a_to_b.frames.front();
    wire.a_to_b.frames.clear();
    EXPECT_EQ(etharp_request(&wire.a.lwip_netif(), address_of(wire.b)), ERR_OK);
    arp = wire.a_to_b.frames.front();
    wire.a_to_b.frames.clear();
    wire.pump();
  }
  Frame echo;
  Frame arp;
};

TEST(EthernetInterface, MalformedFramesAreDroppedAndCounted) {
  TestWire wire;
  CapturedFrames captured(wire);
  const InterfaceCounters before = wire.b.counters();
  const stats_ lwip_before = lwip_stats;

  wire.b.receive_copy(Frame(10, 0xee));                              // runt
  wire.b.receive_copy(Frame(EthernetInterface::kMaxFrameSize + 1));  // oversize
  pbuf* tiny = pbuf_alloc(PBUF_RAW, 5, PBUF_RAM);                    // runt, zero-copy path
  wire.b.receive(tiny);

  Frame truncated_ip(captured.echo.begin(), captured.echo.begin() + 24);
  wire.b.receive_copy(truncated_ip);
  Frame bad_checksum = captured.echo;
  bad_checksum[kIpChecksumOffset] ^= 0xff;
  wire.b.receive_copy(bad_checksum);
  Frame unknown_ethertype = captured.echo;
  unknown_ethertype[12] = 0x88;
  unknown_ethertype[13] = 0xb5;
  wire.b.receive_copy(unknown_ethertype);
  Frame bad_arp_length = captured.arp;
  bad_arp_length[EthernetInterface::kHeaderSize + 4] = 7;  // hardware address length
  wire.b.receive_copy(bad_arp_length);
  Frame truncated_arp(captured.arp.begin(), captured.arp.begin() + 30);
  wire.b.receive_copy(truncated_arp);

  EXPECT_TRUE(wire.b_to_a.frames.empty()) << "b answered a malformed frame";
  const InterfaceCounters& after = wire.b.counters();
  EXPECT_EQ(after.rx_dropped_runt - before.rx_dropped_runt, 3u);  // 10 bytes, 5, short ARP
  EXPECT_EQ(after.rx_dropped_oversize - before.rx_dropped_oversize, 1u);
  EXPECT_EQ(after.rx_frames - before.rx_frames, 4u);  // the ones only lwIP can judge
  EXPECT_EQ(lwip_stats.ip.lenerr - lwip_before.ip.lenerr, 1u);
  EXPECT_EQ(lwip_stats.ip.chkerr - lwip_before.ip.chkerr, 1u);
  EXPECT_EQ(lwip_stats.etharp.proterr - lwip_before.etharp.proterr, 2u);  // ethertype, ARP

  wire.b.receive_copy(captured.echo);  // b still works: the intact echo is answered
  EXPECT_EQ(wire.b_to_a.frames.size(), 1u);
  EXPECT_EQ(wire.b.counters().rx_frames - before.rx_frames, 5u);
}

}  // namespace
}  // namespace atoll_os::servers::net
