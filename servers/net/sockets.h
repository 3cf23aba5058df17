// The net server's sockets: UDP sockets, TCP listeners and TCP streams over lwIP's raw API,
// each owned by one client (its badge) and counted against it.
//
// Every method runs with the server's lock held: lwIP runs NO_SYS, so one thread at a time.
// Stream data never passes through here in messages: transmit data is handed to lwIP
// straight from the client's ring (no copy; the ring space is released when the peer
// acknowledges it), received data is copied once from the frame into the client's ring.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/net.h"
#include "atoll/protocols/protocol.h"
#include "atoll/result.h"
#include "grant_windows.h"
#include "pending_connection.h"

struct tcp_pcb;
struct udp_pcb;
struct pbuf;

namespace atoll_os::servers::net {

inline constexpr size_t kMaxSockets = 64;
inline constexpr size_t kMaxSocketsPerClient = 16;
inline constexpr size_t kUdpQueueDepth = 16;
/// A stream the client closed with data still unacknowledged is aborted after this long.
inline constexpr uint64_t kLingerNs = 20'000'000'000;

enum class SocketKind : uint8_t { kFree, kUdp, kListener, kStream };

struct UdpQueue {
  protocols::net::UdpDatagram items[kUdpQueueDepth];
  uint32_t head = 0;
  uint32_t count = 0;
  uint64_t dropped = 0;
};

struct Socket {
  SocketKind kind = SocketKind::kFree;
  uint16_t generation = 0;
  uint64_t owner = 0;  // the client's badge
  abi::Handle notification = abi::kNoHandle;
  udp_pcb* udp = nullptr;
  tcp_pcb* tcp = nullptr;
  UdpQueue* udp_queue = nullptr;
  // Listener.
  PendingConnection pending[protocols::net::kBacklogMax];
  uint16_t backlog = 0;
  // Stream: the client's pages, and how far each counter has been seen or moved.
  uint64_t region = 0;
  protocols::net::StreamControl* control = nullptr;
  uint8_t* tx_ring = nullptr;
  uint8_t* rx_ring = nullptr;
  uint64_t tx_seen = 0;      // tx_produced as last validated
  uint64_t tx_queued = 0;    // handed to tcp_write
  uint64_t tx_acked = 0;     // acknowledged by the peer
  uint64_t rx_produced = 0;  // written into the receive ring
  uint64_t rx_seen = 0;      // rx_consumed as last validated (window opened up to here)
  bool closing = false;      // the client closed it; waiting for the peer's acknowledgements
  uint64_t linger_deadline_ns = 0;
};

/// What a stream operation needs besides the request: the client's granted pages.
struct StreamPages {
  uint64_t address;
  uint64_t length;
};

class Sockets {
 public:
  /// A finished stream's pages are unmapped and their slot given back to `windows`.
  explicit Sockets(GrantWindows& windows) : windows_(windows) {}

  Result<protocols::net::SocketReply> udp_open(uint64_t owner, uint16_t port,
                                               abi::Handle notification, const char** why);
  Result<void> udp_send(uint64_t owner, const protocols::net::UdpSendRequest& request,
                        const char** why);
  Result<protocols::net::UdpDatagram> udp_receive(uint64_t owner, uint32_t socket,
                                                  const char** why);
  Result<protocols::net::SocketReply> listen(uint64_t owner, uint16_t port, uint16_t backlog,
                                             abi::Handle notification, const char** why);
  Result<protocols::net::StreamReply> accept(uint64_t owner, uint32_t listener, StreamPages pages,
                                             abi::Handle notification, const char** why);
  Result<protocols::net::StreamReply> connect(uint64_t owner, uint32_t ip, uint16_t port,
                                              StreamPages pages, abi::Handle notification,
                                              const char** why);
  Result<void> stream_update(uint64_t owner, uint32_t stream, const char** why);
  Result<void> close(uint64_t owner, uint32_t socket, const char** why);

  /// Aborts closing streams whose linger time has passed (called from the timer loop).
  void sweep(uint64_t now_ns);
  size_t count_in_use() const;

  // lwIP callbacks (static trampolines land here).
  void on_udp(Socket& s, pbuf* p, uint32_t ip, uint16_t port);
  int on_accept(Socket& listener, tcp_pcb* pcb);
  int on_receive(Socket& s, pbuf* p);
  void on_sent(Socket& s, uint16_t length);
  void on_error(Socket& s, int error);
  void on_connected(Socket& s);

 private:
  Result<Socket*> allocate(uint64_t owner, SocketKind kind, abi::Handle notification,
                           const char** why);
  Result<Socket*> find(uint64_t owner, uint32_t id, SocketKind kind, const char** why);
  void adopt(Socket& s, abi::Handle notification);
  uint32_t id_of(const Socket& s) const;
  Result<void> attach_pages(Socket& s, StreamPages pages, const char** why);
  void install_stream_callbacks(Socket& s);
  void push_transmit(Socket& s);
  bool read_client_counters(Socket& s);
  void offer_refused_data(Socket& s);
  void fail(Socket& s, Error error, const char* reason);
  void set_state(Socket& s, protocols::net::StreamState state);
  void signal(Socket& s);
  void finish_stream(Socket& s);
  void free_socket(Socket& s);

  Socket sockets_[kMaxSockets];
  GrantWindows& windows_;
};

}  // namespace atoll_os::servers::net
