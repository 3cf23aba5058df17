// netbench: the network as a program sees it, through the net server. One mode per run:
//   netbench info                      the node's address and the driver's counters
//   netbench ping IP [COUNT]           ICMP echo round trips
//   netbench udp-echo PORT [COUNT]     answers COUNT datagrams (0: forever)
//   netbench udp-rtt IP PORT [COUNT]   UDP round trips against udp-echo
//   netbench tcp-echo PORT             echoes one connection until the peer closes
//   netbench tcp-rtt IP PORT [COUNT]   64-byte TCP round trips against tcp-echo
//   netbench tcp-sink PORT             reads one connection to its end, with a checksum
//   netbench tcp-send IP PORT BYTES    sends BYTES of a fixed pattern, with a checksum
//   netbench raw-send MAC COUNT        COUNT raw 1514-byte frames straight through the driver
// Results are single lines starting "netbench:" with key=value pairs the host parses; a
// failure prints "netbench: error ..." with the reason and exits 1.
#include <stdint.h>

#include "atoll/protocols/net_client.h"
#include "atoll/user/clock.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"
#include "atoll/user/samples.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::apps {
namespace {

namespace net = protocols::net;
using user::print;

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kIdleTimeout = 10 * kSecond;
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325;
constexpr uint64_t kFnvPrime = 0x100000001b3;
constexpr size_t kChunk = 64 * 1024;

int fail(const char* what, Error error, const char* reason = "") {
  print("netbench: error %s: %s %s\n", what, error_name(error), reason);
  return 1;
}

// FNV-1a over 8-byte words of the stream (little-endian), then its last 0..7 bytes: the
// same value however the stream is cut into reads. Word-wise so that hashing costs far
// less than moving the data (TCG runs it at a few hundred million instructions a second).
class StreamHash {
 public:
  void update(const uint8_t* bytes, size_t n) {
    while (n > 0 && carried_ != 0) {
      take(*bytes++);
      --n;
    }
    for (; n >= 8; bytes += 8, n -= 8) {
      uint64_t word;
      __builtin_memcpy(&word, bytes, 8);
      hash_ = (hash_ ^ word) * kFnvPrime;
    }
    while (n-- > 0) take(*bytes++);
  }
  uint64_t value() const {
    uint64_t hash = hash_;
    for (size_t i = 0; i < carried_; ++i) hash = (hash ^ carry_[i]) * kFnvPrime;
    return hash;
  }

 private:
  void take(uint8_t byte) {
    carry_[carried_++] = byte;
    if (carried_ == 8) {
      carried_ = 0;
      update(carry_, 8);
    }
  }
  uint64_t hash_ = kFnvOffsetBasis;
  uint8_t carry_[8] = {};
  size_t carried_ = 0;
};

// The tcp-send stream repeats a table of a prime number of bytes, so that no chunk or
// segment boundary lines up with it: a lost, repeated or reordered piece changes the hash.
constexpr size_t kPatternPeriod = 65521;
uint8_t g_pattern[kPatternPeriod + kChunk];

void fill_pattern() {
  for (size_t i = 0; i < sizeof(g_pattern); ++i) {
    g_pattern[i] = static_cast<uint8_t>(((i % kPatternPeriod) * 2654435761u) >> 13);
  }
}

void print_ip(const char* label, uint32_t ip) {
  const auto* b = reinterpret_cast<const uint8_t*>(&ip);
  print("%s=%u.%u.%u.%u", label, b[0], b[1], b[2], b[3]);
}

// MiB/s with two decimals, from bytes and ns (no floating point in print).
void print_rate(uint64_t bytes, uint64_t ns) {
  uint64_t centi = ns == 0 ? 0 : bytes * 100 * (kSecond / 1000) / (ns / 1000 + 1) / (1 << 20);
  print(" mib_per_s=%lu.%02lu", centi / 100, centi % 100);
}

int info(net::Client& client) {
  Result<net::InfoReply> r = client.info({});
  if (!r.ok()) return fail("info", r.error(), client.last_reason());
  print("netbench: info node=%lu ", r->node);
  print_ip("ip", r->ip);
  print(
      " rx_frames=%lu tx_frames=%lu rx_dropped=%lu tx_dropped=%lu raw_rx_frames=%lu "
      "raw_rx_bytes=%lu raw_rx_ns=%lu interrupts=%lu\n",
      r->rx_frames, r->tx_frames, r->rx_dropped, r->tx_dropped, r->raw_rx_frames, r->raw_rx_bytes,
      r->raw_rx_last_ns - r->raw_rx_first_ns, r->interrupts);
  return 0;
}

int ping(net::Client& client, uint32_t ip, uint64_t count) {
  uint64_t answered = 0;
  for (uint64_t i = 0; i < count; ++i) {
    Result<net::PingReply> r = client.ping({ip, 1000});
    if (r.ok()) {
      ++answered;
      print("netbench: ping seq=%lu rtt_us=%lu\n", i, r->rtt_ns / 1000);
    } else {
      print("netbench: ping seq=%lu lost: %s\n", i, client.last_reason());
    }
  }
  print("netbench: ping done sent=%lu answered=%lu\n", count, answered);
  return answered == count ? 0 : 1;
}

int udp_echo(net::Client& client, uint16_t port, uint64_t count) {
  Result<net::UdpSocket> socket = net::UdpSocket::open(client, port);
  if (!socket.ok()) return fail("udp open", socket.error(), client.last_reason());
  print("netbench: udp-echo listening port=%u\n", port);
  for (uint64_t n = 0; count == 0 || n < count; ++n) {
    Result<net::UdpDatagram> d = socket->receive(abi::kForever);
    if (!d.ok()) return fail("udp receive", d.error(), client.last_reason());
    if (!socket->send_to(d->ip, d->port, d->data, d->length).ok()) {
      return fail("udp send", Error::kNotFound, client.last_reason());
    }
  }
  return 0;
}

constexpr size_t kMaxSamples = 1000;

int udp_rtt(net::Client& client, uint32_t ip, uint16_t port, uint64_t count) {
  Result<net::UdpSocket> socket = net::UdpSocket::open(client, 0);
  if (!socket.ok()) return fail("udp open", socket.error(), client.last_reason());
  static uint64_t samples[kMaxSamples];
  if (count > kMaxSamples) count = kMaxSamples;
  uint8_t message[64] = {};
  size_t n = 0;
  for (uint64_t i = 0; i < count; ++i) {
    __builtin_memcpy(message, &i, sizeof(i));
    uint64_t start = user::now_ns();
    if (!socket->send_to(ip, port, message, sizeof(message)).ok()) {
      return fail("udp send", Error::kNotFound, client.last_reason());
    }
    Result<net::UdpDatagram> d = socket->receive(kSecond);
    if (!d.ok()) continue;  // lost: not a sample
    uint64_t echoed = 0;
    __builtin_memcpy(&echoed, d->data, sizeof(echoed));
    if (echoed == i) samples[n++] = user::now_ns() - start;
  }
  uint64_t m = user::sort_and_median(samples, n);
  print("netbench: udp-rtt samples=%zu median_us=%lu.%03lu\n", n, m / 1000, m % 1000);
  return n > 0 ? 0 : 1;
}

Result<net::Stream*> accept_one(net::Client& client, uint16_t port) {
  Result<net::Listener> listener = net::Listener::listen(client, port, 1);
  if (!listener.ok()) return Err(listener.error());
  print("netbench: tcp listening port=%u\n", port);
  Result<net::Stream*> stream = listener->accept(abi::kForever);
  (void)listener->close();
  return stream;
}

int tcp_echo(net::Client& client, uint16_t port) {
  Result<net::Stream*> stream = accept_one(client, port);
  if (!stream.ok()) return fail("accept", stream.error(), client.last_reason());
  static uint8_t buffer[kChunk];
  for (;;) {
    Result<size_t> n = (*stream)->read(buffer, sizeof(buffer), abi::kForever);
    if (!n.ok()) return fail("read", n.error(), (*stream)->reason());
    if (*n == 0) break;
    if (!(*stream)->write(buffer, *n, kIdleTimeout).ok()) {
      return fail("write", Error::kTimedOut, (*stream)->reason());
    }
  }
  (void)(*stream)->close(kIdleTimeout);
  return 0;
}

Result<net::Stream*> connect(net::Client& client, uint32_t ip, uint16_t port) {
  Result<net::Stream*> stream = net::Stream::connect(client, ip, port);
  if (!stream.ok()) return stream;
  if (Result<void> up = (*stream)->wait_connected(kIdleTimeout); !up.ok()) {
    print("netbench: connect: %s\n", (*stream)->reason());
    return Err(up.error());
  }
  return stream;
}

int tcp_rtt(net::Client& client, uint32_t ip, uint16_t port, uint64_t count) {
  Result<net::Stream*> stream = connect(client, ip, port);
  if (!stream.ok()) return fail("connect", stream.error(), client.last_reason());
  static uint64_t samples[kMaxSamples];
  if (count > kMaxSamples) count = kMaxSamples;
  uint8_t message[64] = {};
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t start = user::now_ns();
    if (!(*stream)->write(message, sizeof(message), kIdleTimeout).ok()) {
      return fail("write", Error::kTimedOut, (*stream)->reason());
    }
    size_t got = 0;
    while (got < sizeof(message)) {
      Result<size_t> n = (*stream)->read(message + got, sizeof(message) - got, kIdleTimeout);
      if (!n.ok() || *n == 0) return fail("read", Error::kTimedOut, (*stream)->reason());
      got += *n;
    }
    samples[i] = user::now_ns() - start;
  }
  (void)(*stream)->close(kIdleTimeout);
  uint64_t m = user::sort_and_median(samples, count);
  print("netbench: tcp-rtt samples=%lu median_us=%lu.%03lu\n", count, m / 1000, m % 1000);
  return 0;
}

int tcp_sink(net::Client& client, uint16_t port) {
  Result<net::Stream*> stream = accept_one(client, port);
  if (!stream.ok()) return fail("accept", stream.error(), client.last_reason());
  static uint8_t buffer[kChunk];
  StreamHash hash;
  uint64_t total = 0;
  uint64_t start = 0;
  for (;;) {
    Result<size_t> n = (*stream)->read(buffer, sizeof(buffer), kIdleTimeout);
    if (!n.ok()) {
      print("netbench: error stream failed after %lu bytes: %s\n", total, (*stream)->reason());
      return 1;
    }
    if (*n == 0) break;
    if (start == 0) start = user::now_ns();
    hash.update(buffer, *n);
    total += *n;
  }
  uint64_t elapsed = user::now_ns() - start;
  (void)(*stream)->close(kIdleTimeout);
  print("netbench: tcp-sink bytes=%lu checksum=0x%016lx ns=%lu", total, hash.value(), elapsed);
  print_rate(total, elapsed);
  print("\n");
  return 0;
}

int tcp_send(net::Client& client, uint32_t ip, uint16_t port, uint64_t bytes) {
  Result<net::Stream*> stream = connect(client, ip, port);
  if (!stream.ok()) return fail("connect", stream.error(), client.last_reason());
  fill_pattern();
  StreamHash hash;
  uint64_t start = user::now_ns();
  for (uint64_t sent = 0; sent < bytes;) {
    size_t n = bytes - sent < kChunk ? static_cast<size_t>(bytes - sent) : kChunk;
    const uint8_t* piece = g_pattern + sent % kPatternPeriod;
    hash.update(piece, n);
    if (Result<void> w = (*stream)->write(piece, n, kIdleTimeout); !w.ok()) {
      print("netbench: error stream failed after %lu bytes: %s\n", sent, (*stream)->reason());
      return 1;
    }
    sent += n;
  }
  Result<void> flushed = (*stream)->flush(kIdleTimeout * 3);
  uint64_t elapsed = user::now_ns() - start;
  if (!flushed.ok()) {
    print("netbench: error stream failed before the end was acknowledged: %s\n",
          (*stream)->reason());
    return 1;
  }
  (void)(*stream)->close(kIdleTimeout);
  print("netbench: tcp-send bytes=%lu checksum=0x%016lx ns=%lu", bytes, hash.value(), elapsed);
  print_rate(bytes, elapsed);
  print("\n");
  return 0;
}

Result<net::RawSendRequest> raw_request(const char* mac, uint64_t count) {
  net::RawSendRequest request{};
  for (int i = 0; i < 6; ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int high = hex(mac[0]);
    int low = high < 0 ? -1 : hex(mac[1]);
    if (low < 0 || (i < 5 && mac[2] != ':')) return Err(Error::kBadFormat);
    request.mac[i] = static_cast<uint8_t>(high << 4 | low);
    mac += 3;
  }
  request.length = 1514;
  request.count = static_cast<uint32_t>(count);
  return request;
}

int raw_send(net::Client& client, const char* mac, uint64_t count) {
  Result<net::RawSendRequest> request = raw_request(mac, count);
  if (!request.ok()) return fail("raw-send", request.error(), "MAC must be xx:xx:xx:xx:xx:xx");
  Result<net::RawSendReply> r = client.raw_send(*request);
  if (!r.ok()) return fail("raw-send", r.error(), client.last_reason());
  print("netbench: raw-send frames=%lu ns=%lu", r->frames, r->elapsed_ns);
  print_rate(r->frames * 1514, r->elapsed_ns);
  print("\n");
  return 0;
}

uint64_t number(const char* text, uint64_t fallback) {
  if (text == nullptr) return fallback;
  return user::parse_size(text).value_or(fallback);
}

int run(int argc, char** argv) {
  if (argc < 2) return fail("usage", Error::kInvalidArgument, "see the comment in netbench.cpp");
  Result<net::Client> found = net::find_net_server();
  if (!found.ok()) return fail("no net server", found.error());
  net::Client client = *found;
  const char* mode = argv[1];
  auto arg = [&](int i) -> const char* { return i < argc ? argv[i] : nullptr; };
  auto same = [](const char* a, const char* b) { return __builtin_strcmp(a, b) == 0; };
  if (same(mode, "info")) return info(client);
  if (same(mode, "raw-send") && argc >= 4) return raw_send(client, argv[2], number(arg(3), 0));
  if (same(mode, "udp-echo") && argc >= 3) {
    return udp_echo(client, static_cast<uint16_t>(number(arg(2), 0)), number(arg(3), 0));
  }
  if (same(mode, "tcp-echo") && argc >= 3) {
    return tcp_echo(client, static_cast<uint16_t>(number(arg(2), 0)));
  }
  if (same(mode, "tcp-sink") && argc >= 3) {
    return tcp_sink(client, static_cast<uint16_t>(number(arg(2), 0)));
  }
  Result<uint32_t> ip = net::parse_ipv4(arg(2) ? arg(2) : "");
  if (!ip.ok()) return fail(mode, Error::kInvalidArgument, "needs an IPv4 address A.B.C.D");
  uint16_t port = static_cast<uint16_t>(number(arg(3), 0));
  if (same(mode, "ping")) return ping(client, *ip, number(arg(3), 4));
  if (same(mode, "udp-rtt")) return udp_rtt(client, *ip, port, number(arg(4), 100));
  if (same(mode, "tcp-rtt")) return tcp_rtt(client, *ip, port, number(arg(4), 100));
  if (same(mode, "tcp-send") && argc >= 5) return tcp_send(client, *ip, port, number(arg(4), 0));
  return fail("usage", Error::kInvalidArgument, "unknown mode or missing arguments");
}

}  // namespace
}  // namespace atoll_os::apps

int main(int argc, char** argv) {
  return atoll_os::apps::run(argc, argv);
}
