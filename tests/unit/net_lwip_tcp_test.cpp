// TCP over the netif glue and lwIP's raw API: a bulk transfer with window scaling, and one
// over a wire that loses frames, both checked byte for byte at the far end.
#include <gtest/gtest.h>

#include <algorithm>

#include "lwip/etharp.h"
#include "lwip/tcp.h"
#include "net/lwip_port/fake_clock.h"
#include "net_test_wire.h"

namespace atoll_os::servers::net {
namespace {

constexpr u16_t kPort = 5001;

// FNV-1a over the stream: a byte lost, repeated or reordered changes it.
uint64_t fnv1a(uint64_t hash, const uint8_t* data, size_t size) {
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 0x100000001b3;
  return hash;
}
constexpr uint64_t kFnvStart = 0xcbf29ce484222325;

// The byte at `offset` of the test stream: not periodic at any segment or window size.
uint8_t stream_byte(uint64_t offset) {
  uint64_t x = offset * 0x9e3779b97f4a7c15;
  return uint8_t(x >> 56);
}

/// The receiving side: accepts one connection on b, hashes what arrives, closes at FIN.
struct Sink {
  explicit Sink(EthernetInterface& at) {
    tcp_pcb* pcb = tcp_new();
    EXPECT_EQ(tcp_bind(pcb, address_of(at), kPort), ERR_OK);
    listener = tcp_listen(pcb);
    tcp_arg(listener, this);
    tcp_accept(listener, on_accept);
  }
  ~Sink() { tcp_close(listener); }

  static err_t on_accept(void* arg, tcp_pcb* pcb, err_t) {
    tcp_arg(pcb, arg);
    tcp_recv(pcb, on_receive);
    return ERR_OK;
  }
  static err_t on_receive(void* arg, tcp_pcb* pcb, pbuf* p, err_t) {
    auto* self = static_cast<Sink*>(arg);
    if (p == nullptr) {  // the sender's FIN: everything has arrived
      self->finished = true;
      tcp_arg(pcb, nullptr);
      EXPECT_EQ(tcp_close(pcb), ERR_OK);
      return ERR_OK;
    }
    for (pbuf* q = p; q != nullptr; q = q->next) {
      self->hash = fnv1a(self->hash, static_cast<const uint8_t*>(q->payload), q->len);
    }
    self->bytes += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
  }

  tcp_pcb* listener;
  uint64_t bytes = 0;
  uint64_t hash = kFnvStart;
  bool finished = false;
};

/// The sending side: connects from a, writes `total` bytes of the test stream as fast as
/// lwIP takes them, then closes.
struct Source {
  Source(EthernetInterface& from, EthernetInterface& to, uint64_t total) : total(total) {
    pcb = tcp_new();
    EXPECT_EQ(tcp_bind(pcb, address_of(from), 0), ERR_OK);
    tcp_arg(pcb, this);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_error);
    EXPECT_EQ(tcp_connect(pcb, address_of(to), kPort, on_connected), ERR_OK);
  }

  static err_t on_connected(void* arg, tcp_pcb*, err_t) {
    static_cast<Source*>(arg)->fill();
    return ERR_OK;
  }
  static err_t on_sent(void* arg, tcp_pcb*, u16_t) {
    static_cast<Source*>(arg)->fill();
    return ERR_OK;
  }
  static void on_error(void* arg, err_t error) {
    auto* self = static_cast<Source*>(arg);
    self->error = error;
    self->pcb = nullptr;  // lwIP freed it
  }

  // Queues as much of the stream as the send buffer takes; closes after the last byte.
  void fill() {
    largest_peer_window = std::max<uint64_t>(largest_peer_window, pcb->snd_wnd);
    uint8_t chunk[16 * 1024];
    while (written < total) {
      size_t size = std::min<uint64_t>({sizeof(chunk), total - written, tcp_sndbuf(pcb)});
      if (size == 0) break;
      for (size_t i = 0; i < size; ++i) chunk[i] = stream_byte(written + i);
      if (tcp_write(pcb, chunk, u16_t(size), TCP_WRITE_FLAG_COPY) != ERR_OK) break;
      hash = fnv1a(hash, chunk, size);
      written += size;
    }
    EXPECT_EQ(tcp_output(pcb), ERR_OK);
    if (written == total && !closed) {
      closed = true;
      // lwIP still sends the queued data, then the FIN; this side hears nothing more.
      tcp_sent(pcb, nullptr);
      tcp_err(pcb, nullptr);
      EXPECT_EQ(tcp_close(pcb), ERR_OK);
      pcb = nullptr;
    }
  }

  tcp_pcb* pcb;
  uint64_t total;
  uint64_t written = 0;
  uint64_t hash = kFnvStart;
  uint64_t largest_peer_window = 0;
  err_t error = ERR_OK;
  bool closed = false;
};

TEST(LwipTcp, TransfersEightMegabytesWithWindowScaling) {
  TestWire wire;
  Sink sink(wire.b);
  Source source(wire.a, wire.b, 8 << 20);
  ASSERT_TRUE(wire.run_until([&] { return sink.finished; }, 60'000));

  EXPECT_EQ(source.error, ERR_OK);
  EXPECT_EQ(sink.bytes, source.total);
  EXPECT_EQ(sink.hash, source.hash);
  // The peer advertised more than 16 bits can say: scaling was negotiated and used.
  EXPECT_GT(source.largest_peer_window, 0xffffu);
  EXPECT_EQ(wire.frames_dropped, 0u);
}

TEST(LwipTcp, TransferCompletesOverALossyWire) {
  TestWire wire;
  wire.drop_every = 50;
  Sink sink(wire.b);
  Source source(wire.a, wire.b, 2 << 20);
  ASSERT_TRUE(wire.run_until([&] { return sink.finished; }, 600'000));

  EXPECT_EQ(source.error, ERR_OK);
  EXPECT_EQ(sink.bytes, source.total);
  EXPECT_EQ(sink.hash, source.hash);
  EXPECT_GT(wire.frames_dropped, 20u);
}

TEST(LwipTcp, TimerResendsALostSyn) {
  TestWire wire;
  ASSERT_EQ(etharp_request(&wire.a.lwip_netif(), address_of(wire.b)), ERR_OK);
  wire.pump();
  Sink sink(wire.b);
  Source source(wire.a, wire.b, 64 << 10);
  wire.drop_every = 1;
  EXPECT_EQ(wire.pump(), 0u);  // the SYN is lost
  wire.drop_every = 0;
  const uint32_t start = lwip_port::fake_now_ms();
  ASSERT_TRUE(wire.run_until([&] { return sink.finished; }, 60'000));

  EXPECT_EQ(sink.hash, source.hash);
  // Nothing but lwIP's retransmission timer (an initial RTO of seconds) could send it again.
  EXPECT_GE(lwip_port::fake_now_ms() - start, 1000u);
}

}  // namespace
}  // namespace atoll_os::servers::net
