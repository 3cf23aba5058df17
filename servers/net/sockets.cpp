// Sockets over lwIP's raw API. lwIP calls back with the Socket as its `arg`; a pending
// connection's arg is its PendingConnection until a client takes it.
#include "sockets.h"

#include "atoll/user/clock.h"
#include "atoll/user/syscalls.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"  // TCP_SLOW_INTERVAL (the unit of pcb->rto), refused data
#include "lwip/tcp.h"
#include "lwip/udp.h"

namespace atoll_os::servers::net {
namespace {

using protocols::net::kStreamBytes;
using protocols::net::kStreamRingBytes;
using protocols::net::StreamControl;
using protocols::net::StreamState;

static_assert(TCP_WND <= kStreamRingBytes, "the receive window must fit the client's ring");

Socket& socket_of(void* arg) {
  return *static_cast<Socket*>(arg);
}
Sockets* g_sockets = nullptr;  // the one table; lwIP's callbacks carry only the Socket

uint64_t load_client(const uint64_t* field) {
  return __atomic_load_n(field, __ATOMIC_ACQUIRE);
}
void store_for_client(uint64_t* field, uint64_t value) {
  __atomic_store_n(field, value, __ATOMIC_RELEASE);
}

ip_addr_t ip_from(uint32_t ip) {
  ip_addr_t address;
  ip4_addr_set_u32(&address, ip);
  return address;
}

void udp_arrived(void* arg, udp_pcb*, pbuf* p, const ip_addr_t* address, u16_t port) {
  g_sockets->on_udp(socket_of(arg), p, ip4_addr_get_u32(address), port);
}
// lwIP starts every connection with a 3 s retransmission timeout (RFC 1122's), so one frame
// lost early on a fresh connection stalls it for about 3 s; the cluster is one switch away,
// and RFC 6298's 1 s is ample until the first round trip is measured.
void shorten_initial_timeout(tcp_pcb* pcb) {
  constexpr s16_t kInitialRtoTicks = 1000 / TCP_SLOW_INTERVAL;
  pcb->rto = kInitialRtoTicks;
  pcb->sv = kInitialRtoTicks;
}

err_t accepted(void* arg, tcp_pcb* pcb, err_t error) {
  if (error != ERR_OK || pcb == nullptr) return ERR_VAL;
  shorten_initial_timeout(pcb);
  return static_cast<err_t>(g_sockets->on_accept(socket_of(arg), pcb));
}
err_t received(void* arg, tcp_pcb*, pbuf* p, err_t) {
  return static_cast<err_t>(g_sockets->on_receive(socket_of(arg), p));
}
err_t sent(void* arg, tcp_pcb*, u16_t length) {
  g_sockets->on_sent(socket_of(arg), length);
  return ERR_OK;
}
void failed(void* arg, err_t error) {
  g_sockets->on_error(socket_of(arg), error);
}
err_t connected(void* arg, tcp_pcb*, err_t) {
  g_sockets->on_connected(socket_of(arg));
  return ERR_OK;
}

void pending_failed(void* arg, err_t) {
  forget_pending(*static_cast<PendingConnection*>(arg));  // lwIP has freed the pcb
}

// After the client closed a stream, what still arrives is acknowledged and dropped.
err_t discard_received(void*, tcp_pcb* pcb, pbuf* p, err_t) {
  if (p != nullptr) {
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
  }
  return ERR_OK;
}

const char* reason_of(err_t error) {
  switch (error) {
    case ERR_RST: return "connection reset by the peer";
    case ERR_ABRT: return "connection aborted: the peer stopped answering";
    case ERR_CLSD: return "connection closed";
    case ERR_TIMEOUT: return "connection timed out";
    default: return "connection failed";
  }
}

void forget_callbacks(tcp_pcb* pcb) {
  tcp_arg(pcb, nullptr);
  tcp_recv(pcb, nullptr);
  tcp_sent(pcb, nullptr);
  tcp_err(pcb, nullptr);
}

}  // namespace

// --- the table -------------------------------------------------------------------------

uint32_t Sockets::id_of(const Socket& s) const {
  return (uint32_t{s.generation} << 8) | static_cast<uint32_t>(&s - sockets_);
}

Result<Socket*> Sockets::allocate(uint64_t owner, SocketKind kind, abi::Handle notification,
                                  const char** why) {
  g_sockets = this;
  size_t owned = 0;
  Socket* free = nullptr;
  for (Socket& s : sockets_) {
    if (s.kind != SocketKind::kFree && s.owner == owner) ++owned;
    if (s.kind == SocketKind::kFree && free == nullptr) free = &s;
  }
  *why = "the client holds too many sockets";
  if (owned >= kMaxSocketsPerClient) return Err(Error::kOutOfMemory);
  *why = "the net server has no free socket";
  if (free == nullptr) return Err(Error::kOutOfMemory);
  *why = "a socket needs a notification (kRightWrite) moved with the request";
  if (notification == abi::kNoHandle) return Err(Error::kInvalidArgument);
  uint16_t generation = static_cast<uint16_t>(free->generation + 1);
  *free = Socket{};
  free->kind = kind;
  free->generation = generation;
  free->owner = owner;
  return free;  // the notification is stored only once the operation succeeds
}

// The socket keeps the notification from now on (the caller takes it out of the call).
void Sockets::adopt(Socket& s, abi::Handle notification) {
  s.notification = notification;
}

Result<Socket*> Sockets::find(uint64_t owner, uint32_t id, SocketKind kind, const char** why) {
  *why = "no such socket";
  size_t index = id & 0xff;
  if (index >= kMaxSockets) return Err(Error::kNotFound);
  Socket& s = sockets_[index];
  if (s.kind == SocketKind::kFree || s.generation != (id >> 8) || s.owner != owner || s.closing) {
    return Err(Error::kNotFound);
  }
  *why = "the socket is of another kind";
  if (kind != SocketKind::kFree && s.kind != kind) return Err(Error::kInvalidArgument);
  return &s;
}

size_t Sockets::count_in_use() const {
  size_t n = 0;
  for (const Socket& s : sockets_) n += s.kind != SocketKind::kFree ? 1 : 0;
  return n;
}

void Sockets::signal(Socket& s) {
  if (s.notification != abi::kNoHandle) {
    (void)user::notification_signal(s.notification, protocols::net::kSocketBit);
  }
}

void Sockets::free_socket(Socket& s) {
  if (s.notification != abi::kNoHandle) (void)user::handle_close(s.notification);
  if (s.udp_queue != nullptr) delete s.udp_queue;
  uint16_t generation = s.generation;
  s = Socket{};
  s.generation = generation;
}

// --- UDP -------------------------------------------------------------------------------

Result<protocols::net::SocketReply> Sockets::udp_open(uint64_t owner, uint16_t port,
                                                      abi::Handle notification, const char** why) {
  Socket* s = TRY(allocate(owner, SocketKind::kUdp, notification, why));
  s->udp_queue = new UdpQueue;
  s->udp = udp_new();
  if (s->udp_queue == nullptr || s->udp == nullptr ||
      udp_bind(s->udp, IP_ADDR_ANY, port) != ERR_OK) {
    *why = s->udp ? "the UDP port is in use" : "lwIP has no free UDP control block";
    if (s->udp != nullptr) udp_remove(s->udp);
    free_socket(*s);
    return Err(Error::kBusy);
  }
  udp_recv(s->udp, udp_arrived, s);
  adopt(*s, notification);
  return protocols::net::SocketReply{id_of(*s), s->udp->local_port, 0};
}

Result<void> Sockets::udp_send(uint64_t owner, const protocols::net::UdpSendRequest& request,
                               const char** why) {
  Socket* s = TRY(find(owner, request.socket, SocketKind::kUdp, why));
  *why = "the datagram is longer than the request";
  if (request.length > protocols::net::kUdpDataMax) return Err(Error::kInvalidArgument);
  pbuf* p = pbuf_alloc(PBUF_TRANSPORT, request.length, PBUF_RAM);
  *why = "lwIP is out of memory";
  if (p == nullptr) return Err(Error::kOutOfMemory);
  pbuf_take(p, request.data, request.length);
  ip_addr_t destination = ip_from(request.ip);
  err_t sent_error = udp_sendto(s->udp, p, &destination, request.port);
  pbuf_free(p);
  *why = "no route to the destination";
  if (sent_error != ERR_OK) return Err(Error::kNotFound);
  return success();
}

void Sockets::on_udp(Socket& s, pbuf* p, uint32_t ip, uint16_t port) {
  UdpQueue& queue = *s.udp_queue;
  if (queue.count == kUdpQueueDepth) {
    ++queue.dropped;  // the client does not keep up: the newest datagram goes
  } else {
    protocols::net::UdpDatagram& d = queue.items[(queue.head + queue.count) % kUdpQueueDepth];
    d = {};
    d.ip = ip;
    d.port = port;
    d.length = static_cast<uint16_t>(pbuf_copy_partial(p, d.data, sizeof(d.data), 0));
    d.truncated = p->tot_len - d.length;
    ++queue.count;
    signal(s);
  }
  pbuf_free(p);
}

Result<protocols::net::UdpDatagram> Sockets::udp_receive(uint64_t owner, uint32_t socket,
                                                         const char** why) {
  Socket* s = TRY(find(owner, socket, SocketKind::kUdp, why));
  UdpQueue& queue = *s->udp_queue;
  *why = "no datagram yet: wait on the socket's notification";
  if (queue.count == 0) return Err(Error::kBusy);
  protocols::net::UdpDatagram d = queue.items[queue.head];
  queue.head = (queue.head + 1) % kUdpQueueDepth;
  --queue.count;
  return d;
}

// --- TCP listeners ---------------------------------------------------------------------

Result<protocols::net::SocketReply> Sockets::listen(uint64_t owner, uint16_t port, uint16_t backlog,
                                                    abi::Handle notification, const char** why) {
  *why = "the backlog must be from 1 to 8";
  if (backlog == 0 || backlog > protocols::net::kBacklogMax) return Err(Error::kInvalidArgument);
  *why = "a listener needs a port";
  if (port == 0) return Err(Error::kInvalidArgument);
  Socket* s = TRY(allocate(owner, SocketKind::kListener, notification, why));
  tcp_pcb* pcb = tcp_new();
  if (pcb == nullptr || tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
    *why = pcb ? "the TCP port is in use" : "lwIP has no free TCP control block";
    if (pcb != nullptr) tcp_abort(pcb);
    free_socket(*s);
    return Err(Error::kBusy);
  }
  tcp_pcb* listener = tcp_listen_with_backlog(pcb, static_cast<u8_t>(backlog));
  if (listener == nullptr) {
    tcp_abort(pcb);
    free_socket(*s);
    *why = "lwIP has no free listening control block";
    return Err(Error::kOutOfMemory);
  }
  s->tcp = listener;
  s->backlog = backlog;
  tcp_arg(listener, s);
  tcp_accept(listener, accepted);
  adopt(*s, notification);
  return protocols::net::SocketReply{id_of(*s), port, 0};
}

int Sockets::on_accept(Socket& listener, tcp_pcb* pcb) {
  for (uint16_t i = 0; i < listener.backlog; ++i) {
    PendingConnection& slot = listener.pending[i];
    if (slot.pcb != nullptr) continue;
    slot = {&listener, pcb};
    tcp_arg(pcb, &slot);
    tcp_recv(pcb, pending_received);
    tcp_err(pcb, pending_failed);
    signal(listener);
    return ERR_OK;
  }
  tcp_abort(pcb);  // the backlog is full: refuse the connection
  return ERR_ABRT;
}

Result<protocols::net::StreamReply> Sockets::accept(uint64_t owner, uint32_t listener_id,
                                                    StreamPages pages, abi::Handle notification,
                                                    const char** why) {
  Socket* listener = TRY(find(owner, listener_id, SocketKind::kListener, why));
  PendingConnection* slot = nullptr;
  for (uint16_t i = 0; i < listener->backlog && slot == nullptr; ++i) {
    if (listener->pending[i].pcb != nullptr) slot = &listener->pending[i];
  }
  *why = "no connection is waiting: wait on the listener's notification";
  if (slot == nullptr) return Err(Error::kBusy);
  Socket* s = TRY(allocate(owner, SocketKind::kStream, notification, why));
  if (Result<void> attached = attach_pages(*s, pages, why); !attached.ok()) {
    free_socket(*s);
    return Err(attached.error());
  }
  s->tcp = slot->pcb;
  pbuf* held = slot->held;
  const bool peer_closed = slot->peer_closed;
  *slot = {};
  install_stream_callbacks(*s);
  adopt(*s, notification);
  set_state(*s, protocols::net::kStreamConnected);
  protocols::net::StreamReply reply{id_of(*s), ip4_addr_get_u32(&s->tcp->remote_ip),
                                    s->tcp->remote_port, s->tcp->local_port, 0};
  // In arrival order: what was held, what lwIP kept refused, the end of the stream. A fresh
  // ring (kStreamRingBytes) holds more than one chain.
  if (held != nullptr) (void)on_receive(*s, held);
  offer_refused_data(*s);
  if (peer_closed) (void)on_receive(*s, nullptr);
  return reply;
}

// What the stream refused (the ring was full, or a pending chain was) lwIP offers again
// only on its next segment or its 250 ms timer, and a sender that wrote everything at once
// sends no next segment. Offered now, the moment the stream can take it.
void Sockets::offer_refused_data(Socket& s) {
  if (s.tcp != nullptr && s.tcp->refused_data != nullptr) (void)tcp_process_refused_data(s.tcp);
}

// --- TCP streams -----------------------------------------------------------------------

Result<void> Sockets::attach_pages(Socket& s, StreamPages pages, const char** why) {
  *why = "a stream needs its pages granted writable with the request";
  if (pages.length != kStreamBytes) return Err(Error::kInvalidArgument);
  s.control = reinterpret_cast<StreamControl*>(pages.address);
  *why = "the stream's control page has the wrong version";
  if (__atomic_load_n(&s.control->version, __ATOMIC_ACQUIRE) != protocols::net::kStreamVersion) {
    return Err(Error::kNotSupported);
  }
  s.region = pages.address;
  s.tx_ring = reinterpret_cast<uint8_t*>(pages.address) + 4096;
  s.rx_ring = s.tx_ring + kStreamRingBytes;
  // The client starts from zero; net trusts nothing it finds there.
  s.tx_seen = s.tx_queued = s.tx_acked = s.rx_produced = s.rx_seen = 0;
  store_for_client(&s.control->tx_acknowledged, 0);
  store_for_client(&s.control->rx_produced, 0);
  return success();
}

void Sockets::install_stream_callbacks(Socket& s) {
  tcp_arg(s.tcp, &s);
  tcp_recv(s.tcp, received);
  tcp_sent(s.tcp, sent);
  tcp_err(s.tcp, failed);
  tcp_nagle_disable(s.tcp);  // small requests (RTT measurements) go out at once
}

Result<protocols::net::StreamReply> Sockets::connect(uint64_t owner, uint32_t ip, uint16_t port,
                                                     StreamPages pages, abi::Handle notification,
                                                     const char** why) {
  *why = "connect needs a port";
  if (port == 0) return Err(Error::kInvalidArgument);
  Socket* s = TRY(allocate(owner, SocketKind::kStream, notification, why));
  Result<void> attached = attach_pages(*s, pages, why);
  s->tcp = attached.ok() ? tcp_new() : nullptr;
  if (s->tcp == nullptr) {
    if (attached.ok()) *why = "lwIP has no free TCP control block";
    free_socket(*s);
    return Err(attached.ok() ? Error::kOutOfMemory : attached.error());
  }
  install_stream_callbacks(*s);
  shorten_initial_timeout(s->tcp);
  set_state(*s, protocols::net::kStreamConnecting);
  adopt(*s, notification);
  ip_addr_t destination = ip_from(ip);
  if (::tcp_connect(s->tcp, &destination, port, connected) != ERR_OK) {
    forget_callbacks(s->tcp);
    tcp_abort(s->tcp);
    free_socket(*s);
    *why = "no route to the destination";
    return Err(Error::kNotFound);
  }
  return protocols::net::StreamReply{id_of(*s), ip, port, s->tcp->local_port, 0};
}

void Sockets::on_connected(Socket& s) {
  set_state(s, protocols::net::kStreamConnected);
  push_transmit(s);
}

void Sockets::set_state(Socket& s, StreamState state) {
  __atomic_store_n(&s.control->state, static_cast<uint32_t>(state), __ATOMIC_RELEASE);
  signal(s);
}

void Sockets::fail(Socket& s, Error error, const char* reason) {
  protocols::set_text(s.control->reason, reason, __builtin_strlen(reason));
  s.control->error = static_cast<int32_t>(error);
  set_state(s, protocols::net::kStreamFailed);
}

// Reads what the client moved; false (and the stream fails) if the counters are impossible.
bool Sockets::read_client_counters(Socket& s) {
  uint64_t produced = load_client(&s.control->tx_produced);
  uint64_t consumed = load_client(&s.control->rx_consumed);
  bool sane = produced >= s.tx_seen && produced - s.tx_acked <= kStreamRingBytes &&
              consumed >= s.rx_seen && consumed <= s.rx_produced;
  if (!sane) return false;
  uint64_t opened = consumed - s.rx_seen;
  s.tx_seen = produced;
  s.rx_seen = consumed;
  while (opened > 0 && s.tcp != nullptr) {
    u16_t step = opened > 0xffff ? 0xffff : static_cast<u16_t>(opened);
    tcp_recved(s.tcp, step);
    opened -= step;
  }
  return true;
}

void Sockets::push_transmit(Socket& s) {
  if (s.tcp == nullptr) return;
  bool wrote = false;
  while (s.tx_queued < s.tx_seen) {
    uint64_t offset = s.tx_queued % kStreamRingBytes;
    uint64_t length = s.tx_seen - s.tx_queued;
    if (length > kStreamRingBytes - offset) length = kStreamRingBytes - offset;
    if (length > tcp_sndbuf(s.tcp)) length = tcp_sndbuf(s.tcp);
    if (length > 0xffff) length = 0xffff;
    if (length == 0) break;
    u8_t flags = s.tx_queued + length < s.tx_seen ? TCP_WRITE_FLAG_MORE : 0;
    // No copy: the ring holds the bytes until on_sent() says the peer has them.
    if (tcp_write(s.tcp, s.tx_ring + offset, static_cast<u16_t>(length), flags) != ERR_OK) break;
    s.tx_queued += length;
    wrote = true;
  }
  if (wrote) tcp_output(s.tcp);
}

Result<void> Sockets::stream_update(uint64_t owner, uint32_t stream, const char** why) {
  Socket* s = TRY(find(owner, stream, SocketKind::kStream, why));
  *why = "the stream has failed";
  if (s->tcp == nullptr) return Err(Error::kNotFound);
  if (!read_client_counters(*s)) {
    forget_callbacks(s->tcp);
    tcp_abort(s->tcp);
    s->tcp = nullptr;
    fail(*s, Error::kBadFormat, "the client's stream counters went backwards or overflowed");
    *why = "the stream's counters are impossible; the connection was aborted";
    return Err(Error::kBadFormat);
  }
  offer_refused_data(*s);
  push_transmit(*s);
  return success();
}

int Sockets::on_receive(Socket& s, pbuf* p) {
  if (p == nullptr) {
    set_state(s, protocols::net::kStreamPeerClosed);
    return ERR_OK;
  }
  uint64_t space = kStreamRingBytes - (s.rx_produced - s.rx_seen);
  if (p->tot_len > space) return ERR_MEM;  // lwIP keeps it and offers it again later
  uint64_t offset = s.rx_produced % kStreamRingBytes;
  uint64_t first = kStreamRingBytes - offset;
  if (first > p->tot_len) first = p->tot_len;
  pbuf_copy_partial(p, s.rx_ring + offset, static_cast<u16_t>(first), 0);
  if (first < p->tot_len) {
    pbuf_copy_partial(p, s.rx_ring, static_cast<u16_t>(p->tot_len - first),
                      static_cast<u16_t>(first));
  }
  s.rx_produced += p->tot_len;
  store_for_client(&s.control->rx_produced, s.rx_produced);
  pbuf_free(p);
  signal(s);
  return ERR_OK;
}

void Sockets::on_sent(Socket& s, uint16_t length) {
  s.tx_acked += length;
  store_for_client(&s.control->tx_acknowledged, s.tx_acked);
  if (s.closing) {
    if (s.tx_acked >= s.tx_seen) finish_stream(s);
    return;
  }
  push_transmit(s);
  signal(s);
}

void Sockets::on_error(Socket& s, int error) {
  s.tcp = nullptr;  // lwIP has freed it
  if (s.closing) {
    finish_stream(s);
    return;
  }
  fail(s, error == ERR_RST ? Error::kNotFound : Error::kTimedOut,
       reason_of(static_cast<err_t>(error)));
}

// --- closing ---------------------------------------------------------------------------

// The stream's pages may go once lwIP holds no reference into the transmit ring.
void Sockets::finish_stream(Socket& s) {
  if (s.tcp != nullptr) {
    tcp_recv(s.tcp, discard_received);
    tcp_sent(s.tcp, nullptr);
    tcp_err(s.tcp, nullptr);
    tcp_arg(s.tcp, nullptr);
    if (tcp_close(s.tcp) != ERR_OK) tcp_abort(s.tcp);
    s.tcp = nullptr;
  }
  (void)user::vm_unmap(abi::kNoHandle, s.region, kStreamBytes / 4096);
  windows_.release(s.region);
  free_socket(s);
}

Result<void> Sockets::close(uint64_t owner, uint32_t id, const char** why) {
  Socket* s = TRY(find(owner, id, SocketKind::kFree, why));
  switch (s->kind) {
    case SocketKind::kUdp:
      udp_remove(s->udp);
      free_socket(*s);
      break;
    case SocketKind::kListener:
      for (PendingConnection& slot : s->pending) {
        if (slot.pcb != nullptr) {
          forget_callbacks(slot.pcb);
          tcp_abort(slot.pcb);
        }
        forget_pending(slot);
      }
      if (tcp_close(s->tcp) != ERR_OK) tcp_abort(s->tcp);
      free_socket(*s);
      break;
    case SocketKind::kStream:
      if (s->tcp != nullptr && read_client_counters(*s)) push_transmit(*s);
      if (s->tcp == nullptr || s->tx_acked >= s->tx_seen) {
        finish_stream(*s);
      } else {
        s->closing = true;  // the rest goes out first; on_sent finishes it
        s->linger_deadline_ns = user::now_ns() + kLingerNs;
        tcp_recv(s->tcp, discard_received);
      }
      break;
    case SocketKind::kFree: break;
  }
  return success();
}

void Sockets::sweep(uint64_t now_ns) {
  for (Socket& s : sockets_) {
    if (s.kind != SocketKind::kStream || !s.closing) continue;
    if (s.tcp != nullptr && s.tx_queued < s.tx_seen) push_transmit(s);
    if (now_ns < s.linger_deadline_ns) continue;
    if (s.tcp != nullptr) {
      forget_callbacks(s.tcp);
      tcp_abort(s.tcp);  // frees its segments, and with them the ring references
      s.tcp = nullptr;
    }
    finish_stream(s);
  }
}

}  // namespace atoll_os::servers::net
