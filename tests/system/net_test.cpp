// The network between cluster nodes, end to end through the net server and netbench: ping
// between every pair, UDP and TCP, a receiver killed mid-transfer, and malformed frames
// injected on the switch.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <cstring>
#include <iostream>
#include <random>
#include <thread>

#include "hostlib/net_bench.h"
#include "hostlib/node_address.h"
#include "hostlib/vde_port.h"
#include "support/cluster_fixture.h"

namespace atoll_os::host::testing {
namespace {

using namespace std::chrono_literals;

// A short program (ping, info, round trips); mostly ARP and scheduling under load.
constexpr std::chrono::milliseconds kProgramWait = 60s;
// 64 MiB takes seconds under TCG; the margin (down to 0.3 MiB/s) is for a loaded host: the
// tests check correctness only.
constexpr std::chrono::milliseconds kTransferWait = 200s;
constexpr uint64_t kLargeTransfer = 64ull << 20;

/// netbench runs between the nodes of a cluster.
class NetClusterTest : public ClusterFixture {
 protected:
  /// Asserts that `from` pings `to` `count` times with every echo answered.
  void expect_ping(unsigned from, unsigned to, unsigned count = 3) {
    auto done = netbench_ping(ctl(from), address_of(to).ip, count, kProgramWait);
    ASSERT_TRUE(is_ok(done)) << "node " << from << " -> node " << to;
    EXPECT_EQ(done->unsigned_at("sent").value(), count) << done->line();
    EXPECT_EQ(done->unsigned_at("answered").value(), count)
        << "node " << from << " -> node " << to << ": " << done->line();
  }

  /// Asserts that a transfer of `bytes` arrives whole: both ends count all of it and agree
  /// on the checksum of the stream (netbench's hash, which the host does not repeat).
  void expect_transfer(unsigned from, unsigned to, uint16_t port, uint64_t bytes,
                       std::chrono::milliseconds timeout) {
    auto transfer = tcp_transfer(*cluster(), from, to, port, bytes, timeout);
    ASSERT_TRUE(is_ok(transfer)) << "node " << from << " -> node " << to;
    EXPECT_EQ(transfer->sender.unsigned_at("bytes").value(), bytes) << transfer->sender.line();
    EXPECT_EQ(transfer->sink.unsigned_at("bytes").value(), bytes) << transfer->sink.line();
    auto sent = transfer->sender.unsigned_at("checksum");
    auto received = transfer->sink.unsigned_at("checksum");
    ASSERT_TRUE(is_ok(sent));
    ASSERT_TRUE(is_ok(received));
    EXPECT_EQ(*sent, *received) << transfer->sender.line() << "\n" << transfer->sink.line();
  }

  uint64_t rx_dropped(unsigned node) {
    auto info = netbench_info(ctl(node), kProgramWait);
    EXPECT_TRUE(is_ok(info)) << "node " << node;
    if (!info) return 0;
    auto dropped = info->unsigned_at("rx_dropped");
    EXPECT_TRUE(is_ok(dropped));
    return dropped ? *dropped : 0;
  }
};

/// One cluster for the tests that leave every node running.
class NetTest : public SharedCluster<NetClusterTest> {};

TEST_F(NetTest, EveryNodePingsEveryOther) {
  for (unsigned from = 0; from < kClusterNodes; ++from) {
    for (unsigned to = 0; to < kClusterNodes; ++to) {
      if (from != to) {
        ASSERT_NO_FATAL_FAILURE(expect_ping(from, to));
      }
    }
  }
}

TEST_F(NetTest, UdpRoundTripsAreAllAnswered) {
  constexpr unsigned kSamples = 50;
  auto rtt = udp_round_trips(*cluster(), 0, 1, 7001, kSamples, kProgramWait);
  ASSERT_TRUE(is_ok(rtt));
  EXPECT_EQ(rtt->unsigned_at("samples").value(), kSamples) << rtt->line();
  EXPECT_GT(rtt->decimal_at("median_us").value(), 0.0) << rtt->line();
}

TEST_F(NetTest, TcpTransfersSixtyFourMibIntact) {
  ASSERT_NO_FATAL_FAILURE(expect_transfer(0, 1, 7002, kLargeTransfer, kTransferWait));
}

// --- Malformed frames ---------------------------------------------------------------------

using Frame = std::vector<uint8_t>;

constexpr uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
// The host's port: an address no node has (node_address.h gives nodes 00..fd).
constexpr uint8_t kHostMac[6] = {0x52, 0x54, 0x00, 0x77, 0x00, 0xfe};
constexpr uint8_t kHostIp[4] = {10, 77, 0, 254};
constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kArp = 0x0806;

std::array<uint8_t, 6> mac_of(unsigned node) {
  std::array<uint8_t, 6> mac{};
  unsigned bytes[6];
  sscanf(address_of(node).mac.c_str(), "%x:%x:%x:%x:%x:%x", &bytes[0], &bytes[1], &bytes[2],
         &bytes[3], &bytes[4], &bytes[5]);
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(bytes[i]);
  return mac;
}

void put16(Frame& f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}

uint16_t internet_checksum(const uint8_t* data, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(data[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Frame ethernet(const uint8_t* dst, uint16_t ethertype, size_t payload) {
  Frame f(14 + payload, 0);
  memcpy(f.data(), dst, 6);
  memcpy(f.data() + 6, kHostMac, 6);
  put16(f, 12, ethertype);
  return f;
}

// An IPv4 packet to node 0 with a correct header checksum, `payload` bytes after the header.
Frame ipv4(const uint8_t* dst, uint8_t protocol, size_t payload) {
  Frame f = ethernet(dst, kIpv4, 20 + payload);
  f[14] = 0x45;
  put16(f, 16, static_cast<uint16_t>(20 + payload));
  f[22] = 64;
  f[23] = protocol;
  memcpy(&f[26], kHostIp, 4);
  const std::string ip = address_of(0).ip;
  sscanf(ip.c_str(), "%hhu.%hhu.%hhu.%hhu", &f[30], &f[31], &f[32], &f[33]);
  put16(f, 24, internet_checksum(&f[14], 20));
  return f;
}

void fix_ip_checksum(Frame& f) {
  put16(f, 24, 0);
  put16(f, 24, internet_checksum(&f[14], (f[14] & 0xf) * 4u));
}

Frame arp(const uint8_t* dst, uint16_t opcode, uint8_t hlen, uint8_t plen, size_t payload = 28) {
  Frame f = ethernet(dst, kArp, payload);
  if (payload < 8) return f;
  put16(f, 14, 1);      // Ethernet
  put16(f, 16, kIpv4);  // IPv4
  f[18] = hlen;
  f[19] = plen;
  put16(f, 20, opcode);
  if (payload >= 28) {
    memcpy(&f[22], kHostMac, 6);
    memcpy(&f[28], kHostIp, 4);
    const std::string ip = address_of(0).ip;
    sscanf(ip.c_str(), "%hhu.%hhu.%hhu.%hhu", &f[38], &f[39], &f[40], &f[41]);
  }
  return f;
}

// Frames that node 0's driver and its lwIP glue must count in rx_dropped if they reach it:
// longer than 1514 bytes, or ARP shorter than an ARP message (lwIP would read past it).
// Frames shorter than the 14-byte header would count too, but the switch forwards none of
// them (node 0's capture shows none), so they are sent without being counted on.
bool must_count_as_dropped(const Frame& f) {
  if (f.size() < 14) return false;
  return f.size() > 1514 || (f[12] == 0x08 && f[13] == 0x06 && f.size() < 42);
}

void add_header_faults(std::vector<Frame>& m, const uint8_t* dst) {
  const Frame header = ethernet(dst, kIpv4, 0);
  for (size_t n = 1; n <= 13; ++n) m.emplace_back(header.begin(), header.begin() + n);
  for (uint16_t type : {kIpv4, kArp, uint16_t{0x86dd}, uint16_t{0x1234}, uint16_t{0xffff},
                        uint16_t{0x0000}, uint16_t{0x0600}}) {
    m.push_back(ethernet(dst, type, 0));   // the header alone
    m.push_back(ethernet(dst, type, 46));  // garbage ethertypes with a zero payload
  }
  for (size_t size = 1515; size <= kVdeSwitchMaxFrame; ++size)
    m.push_back(ipv4(dst, 17, size - 34));
}

void add_ip_faults(std::vector<Frame>& m, const uint8_t* dst) {
  Frame truncated = ipv4(dst, 17, 0);
  truncated.resize(14 + 10);  // half an IP header
  m.push_back(truncated);
  for (uint8_t version_ihl : {0x40, 0x44, 0x46, 0x4f, 0x65, 0x05}) {
    Frame f = ipv4(dst, 17, 8);
    f[14] = version_ihl;  // header length below 20, beyond the frame, or not IPv4
    m.push_back(f);
  }
  Frame bad_checksum = ipv4(dst, 1, 8);
  bad_checksum[24] ^= 0x5a;
  m.push_back(bad_checksum);
  for (uint16_t total : {uint16_t{1500}, uint16_t{65535}, uint16_t{21}, uint16_t{0}}) {
    Frame f = ipv4(dst, 17, 8);  // total length larger (or smaller) than what is there
    put16(f, 16, total);
    fix_ip_checksum(f);
    m.push_back(f);
  }
  // Fragments: one at the largest offset (reassembly past 64 KiB), one with MF and no data.
  Frame far = ipv4(dst, 1, 64);
  put16(far, 20, 0x1fff);
  fix_ip_checksum(far);
  m.push_back(far);
  Frame empty_fragment = ipv4(dst, 17, 0);
  put16(empty_fragment, 20, 0x2000);
  fix_ip_checksum(empty_fragment);
  m.push_back(empty_fragment);
}

void add_transport_faults(std::vector<Frame>& m, const uint8_t* dst) {
  for (uint8_t offset : {0, 2, 4, 6, 15}) {
    Frame tcp = ipv4(dst, 6, 20);
    put16(tcp, 34, 40000);
    put16(tcp, 36, 7003);                         // a port no test listens on
    tcp[46] = static_cast<uint8_t>(offset << 4);  // data offset below 5 or beyond the segment
    tcp[47] = 0x02;                               // SYN
    m.push_back(tcp);
  }
  Frame udp_long = ipv4(dst, 17, 8);
  put16(udp_long, 34, 40000);
  put16(udp_long, 36, 7001);
  put16(udp_long, 38, 900);  // UDP length beyond the datagram
  m.push_back(udp_long);
  Frame icmp = ipv4(dst, 1, 8);
  icmp[34] = 8;  // echo request with a wrong ICMP checksum
  put16(icmp, 36, 0xbeef);
  m.push_back(icmp);
  Frame icmp_short = ipv4(dst, 1, 2);
  icmp_short[34] = 8;
  m.push_back(icmp_short);
}

void add_arp_faults(std::vector<Frame>& m, const uint8_t* dst) {
  m.push_back(arp(dst, 1, 7, 5));   // wrong address lengths
  m.push_back(arp(dst, 1, 6, 16));  // IPv6-sized protocol address
  m.push_back(arp(dst, 9, 6, 4));   // no such opcode
  for (size_t payload : {size_t{0}, size_t{8}, size_t{20}, size_t{27}}) {
    m.push_back(arp(dst, 1, 6, 4, payload));  // shorter than an ARP message
  }
}

// Runts, bare headers, oversized frames, and broken IPv4, TCP, UDP, ICMP and ARP, to `dst`.
std::vector<Frame> malformed_frames(const uint8_t* dst) {
  std::vector<Frame> m;
  add_header_faults(m, dst);
  add_ip_faults(m, dst);
  add_transport_faults(m, dst);
  add_arp_faults(m, dst);
  return m;
}

// Random bytes, half of them after a header to `dst`; none counts as a certain drop.
std::vector<Frame> random_frames(const uint8_t* dst, unsigned count) {
  std::mt19937 random(20240611);
  std::vector<Frame> frames;
  for (unsigned i = 0; i < count; ++i) {
    Frame f(std::uniform_int_distribution<size_t>(1, kVdeSwitchMaxFrame)(random));
    for (uint8_t& b : f) b = static_cast<uint8_t>(random());
    if (i % 2 == 0 && f.size() >= 6) memcpy(f.data(), dst, 6);
    frames.push_back(std::move(f));
  }
  return frames;
}

bool is_arp_reply_from_node0(const Frame& f) {
  return f.size() >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
         memcmp(&f[22], mac_of(0).data(), 6) == 0 && memcmp(&f[32], kHostMac, 6) == 0;
}

// Asks for node 0's MAC from the host's port, once a second (a request that meets a full
// receive queue is lost); true once the answer arrives within 20 s.
bool node0_answers_arp(VdePort& port) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!port.send(arp(kBroadcast, 1, 6, 4))) return false;
    const auto next_request = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < next_request) {
      auto frame = port.receive(200ms);
      if (frame && is_arp_reply_from_node0(*frame)) return true;
    }
  }
  return false;
}

TEST_F(NetTest, MalformedFramesAreDroppedAndNode0KeepsWorking) {
  auto port = VdePort::open(cluster()->vde_switch().dir());
  ASSERT_TRUE(is_ok(port));
  ASSERT_TRUE(node0_answers_arp(*port)) << "node 0 did not answer ARP before the frames";
  const uint64_t dropped_before = rx_dropped(0);

  constexpr unsigned kBurst = 16;
  const auto node0 = mac_of(0);
  unsigned sent = 0;
  unsigned counted = 0;
  for (const uint8_t* dst : {node0.data(), kBroadcast}) {
    std::vector<Frame> frames = malformed_frames(dst);
    for (Frame& f : random_frames(dst, 100)) frames.push_back(std::move(f));
    for (const Frame& f : frames) {
      ASSERT_TRUE(is_ok(port->send(f))) << f.size() << " bytes";
      // The switch drops what QEMU's socket cannot take at once; in small bursts, it takes all.
      if (++sent % kBurst == 0) std::this_thread::sleep_for(20ms);
      // Only those surely addressed to node 0 (random ones may lack the address).
      if (memcmp(f.data(), dst, std::min<size_t>(f.size(), 6)) == 0 && must_count_as_dropped(f)) {
        ++counted;
      }
    }
  }
  std::cerr << "sent " << sent << " malformed and random frames; " << counted
            << " must count as dropped" << std::endl;

  ASSERT_TRUE(node0_answers_arp(*port)) << "node 0 stopped answering ARP";
  ASSERT_NO_FATAL_FAILURE(expect_ping(1, 0));
  ASSERT_NO_FATAL_FAILURE(expect_transfer(1, 0, 7004, 1 << 20, kProgramWait));
  const uint64_t dropped_after = rx_dropped(0);
  ASSERT_GT(counted, 0u);
  EXPECT_GE(dropped_after - dropped_before, counted)
      << "rx_dropped went from " << dropped_before << " to " << dropped_after;
  EXPECT_LT(dropped_after - dropped_before, sent) << "valid frames counted as dropped?";
}

// --- A receiver that dies -----------------------------------------------------------------

/// Its own cluster: the test kills a node.
class NetFailureTest : public PerTestCluster<NetClusterTest> {};

TEST_F(NetFailureTest, KillingTheReceiverEndsTheSendersStreamWithAReason) {
  constexpr uint16_t kPort = 7200;               // 7100 is ipcm's
  constexpr uint64_t kMidTransferFrames = 2000;  // about 3 MiB
  // Far more than goes in the second or so before the kill, even at speeds TCG never sees.
  constexpr uint64_t kTransferBytes = 8ull << 30;
  // The sink dies with node 1; nothing waits for its end.
  auto sink = start_tcp_listener(ctl(1), kPort, false, kProgramWait);
  ASSERT_TRUE(is_ok(sink));
  auto baseline = netbench_info(ctl(1), kProgramWait);
  ASSERT_TRUE(is_ok(baseline));
  const uint64_t frames_before = baseline->unsigned_at("rx_frames").value();
  auto sender =
      GuestProgram::start(ctl(0),
                          "netbench tcp-send " + address_of(1).ip + " " + std::to_string(kPort) +
                              " " + std::to_string(kTransferBytes),
                          kClusterReplyWait);
  ASSERT_TRUE(is_ok(sender));

  // Kill once the transfer is well under way, as node 1 counts it.
  const auto give_up = std::chrono::steady_clock::now() + kProgramWait;
  uint64_t frames = frames_before;
  while (frames < frames_before + kMidTransferFrames) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the transfer does not progress";
    std::this_thread::sleep_for(500ms);
    auto info = netbench_info(ctl(1), kProgramWait);
    ASSERT_TRUE(is_ok(info));
    frames = info->unsigned_at("rx_frames").value();
  }
  EXPECT_EQ(cluster()->kill_node(1), (ExitStatus{.signal = SIGKILL}));
  const auto killed_at = std::chrono::steady_clock::now();

  auto ended = sender->wait_exit(90s);
  ASSERT_TRUE(is_ok(ended)) << "the sender did not notice within 90 s";
  const auto took = std::chrono::steady_clock::now() - killed_at;
  std::cerr << "the sender ended "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms after the kill: " << sender->last_line_with("netbench: error").value_or("?")
            << std::endl;
  EXPECT_EQ(*ended, (ProgramExit{"exited", 1})) << sender->describe();
  auto error = sender->last_line_with("netbench: error");
  ASSERT_TRUE(error.has_value()) << sender->describe();
  std::vector<std::string> groups;
  ASSERT_TRUE(
      LogPattern::regex("^netbench: error stream failed (after ([0-9]+) bytes|before the end was "
                        "acknowledged): *(.*)$")
          .matches(*error, &groups))
      << *error;
  EXPECT_FALSE(groups[3].empty()) << "no reason given: " << *error;
  if (!groups[2].empty()) {
    EXPECT_GT(std::stoull(groups[2]), 0u) << *error;
    EXPECT_LT(std::stoull(groups[2]), kTransferBytes) << *error;
  }

  // The survivors still talk to each other and to the host.
  ASSERT_NO_FATAL_FAILURE(expect_ping(0, 2));
  ASSERT_NO_FATAL_FAILURE(expect_ping(2, 0));
  ASSERT_NO_FATAL_FAILURE(expect_stats(0));
  ASSERT_NO_FATAL_FAILURE(expect_stats(2));
  // Node 1 is gone: a ping to it goes unanswered rather than hanging.
  auto lost = netbench_ping(ctl(0), address_of(1).ip, 1, kProgramWait);
  ASSERT_TRUE(is_ok(lost));
  EXPECT_EQ(lost->unsigned_at("answered").value(), 0u) << lost->line();
}

}  // namespace
}  // namespace atoll_os::host::testing
