// What a connection receives before a client accepts it (servers/net/pending_connection.*),
// over lwIP and the test wire: every segment is taken and acknowledged at once, so the sender
// never waits for a retransmission timer, and the data comes out whole and in order.
#include "net/pending_connection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "net_test_wire.h"

namespace atoll_os::servers::net {
namespace {

constexpr u16_t kPort = 5002;

uint8_t request_byte(size_t i) {
  return uint8_t(i * 131 + 7);
}

/// A listener on b whose connections wait as the net server's do until a client takes
/// them: in a PendingConnection, with pending_received as their receive callback.
struct Listener {
  explicit Listener(EthernetInterface& at) {
    tcp_pcb* pcb = tcp_new();
    EXPECT_EQ(tcp_bind(pcb, address_of(at), kPort), ERR_OK);
    pcb_ = tcp_listen(pcb);
    tcp_arg(pcb_, &slot);
    tcp_accept(pcb_, on_accept);
  }
  ~Listener() {
    if (slot.pcb != nullptr) tcp_abort(slot.pcb);
    forget_pending(slot);
    tcp_close(pcb_);
  }
  static err_t on_accept(void* arg, tcp_pcb* pcb, err_t) {
    auto& slot = *static_cast<PendingConnection*>(arg);
    slot.pcb = pcb;
    tcp_arg(pcb, &slot);
    tcp_recv(pcb, pending_received);
    return ERR_OK;
  }

  PendingConnection slot;
  tcp_pcb* pcb_;
};

/// A client on a that writes `bytes` of a request in one go once connected, then closes.
struct Client {
  Client(TestWire& wire, size_t bytes) : request(bytes) {
    for (size_t i = 0; i < bytes; ++i) request[i] = request_byte(i);
    pcb = tcp_new();
    EXPECT_EQ(tcp_bind(pcb, address_of(wire.a), 0), ERR_OK);
    tcp_arg(pcb, this);
    tcp_nagle_disable(pcb);  // as net's streams
    EXPECT_EQ(tcp_connect(pcb, address_of(wire.b), kPort, on_connected), ERR_OK);
  }
  static err_t on_connected(void* arg, tcp_pcb* pcb, err_t) {
    auto& self = *static_cast<Client*>(arg);
    for (size_t at = 0; at < self.request.size(); at += kChunk) {
      const size_t n = std::min(kChunk, self.request.size() - at);
      EXPECT_EQ(tcp_write(pcb, self.request.data() + at, u16_t(n), 0), ERR_OK);
    }
    EXPECT_EQ(tcp_output(pcb), ERR_OK);
    self.connected = true;
    return ERR_OK;
  }

  static constexpr size_t kChunk = 32 * 1024;
  std::vector<uint8_t> request;
  tcp_pcb* pcb;
  bool connected = false;
};

TEST(PendingConnection, KeepsEverySegmentBeforeAcceptAndTheSenderWaitsForNoTimer) {
  TestWire wire;
  Listener listener(wire.b);
  Client client(wire, 8 * 1024);  // six segments
  // Frames only, no timer: what lwIP refused would wait for its 250 ms timer or for the
  // sender's retransmission.
  ASSERT_TRUE(wire.run_until([&] { return client.connected; }, 10'000));
  wire.pump();
  ASSERT_NE(listener.slot.held, nullptr);
  EXPECT_EQ(listener.slot.held->tot_len, client.request.size());
  EXPECT_EQ(client.pcb->unacked, nullptr);  // every segment acknowledged
  EXPECT_EQ(client.pcb->unsent, nullptr);
  EXPECT_EQ(listener.slot.pcb->refused_data, nullptr);
  std::vector<uint8_t> held(listener.slot.held->tot_len);
  ASSERT_EQ(pbuf_copy_partial(listener.slot.held, held.data(), u16_t(held.size()), 0), held.size());
  EXPECT_EQ(held, client.request);
  EXPECT_FALSE(listener.slot.peer_closed);

  ASSERT_EQ(tcp_close(client.pcb), ERR_OK);
  wire.pump();
  EXPECT_TRUE(listener.slot.peer_closed);
}

TEST(PendingConnection, RefusesOnlyWhatWouldOverflowTheChain) {
  TestWire wire;
  Listener listener(wire.b);
  Client client(wire, 0xffff + 4096);  // more than one chain's 16-bit length
  auto arrived = [&] {
    const PendingConnection& slot = listener.slot;
    size_t held = slot.held != nullptr ? slot.held->tot_len : 0;
    size_t refused = slot.pcb != nullptr && slot.pcb->refused_data != nullptr
                         ? slot.pcb->refused_data->tot_len
                         : 0;
    return held + refused > 0xffff;  // the window (64 KiB, held data keeps it closed) allows
  };
  ASSERT_TRUE(wire.run_until(arrived, 60'000));
  ASSERT_NE(listener.slot.held, nullptr);
  ASSERT_NE(listener.slot.pcb->refused_data, nullptr);  // the segment that did not fit
  EXPECT_LE(listener.slot.held->tot_len, 0xffffu);
  EXPECT_GT(listener.slot.held->tot_len, 0xffffu - 1460);
}

}  // namespace
}  // namespace atoll_os::servers::net
