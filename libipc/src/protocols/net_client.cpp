// Streams over shared rings: the client writes tx_produced and rx_consumed, net the rest,
// and a stream_update call tells net to look.
#include "atoll/protocols/net_client.h"

#include "atoll/user/heap.h"
#include "atoll/user/syscalls.h"
#include "server_session.h"

namespace atoll_os::protocols::net {
namespace {

constexpr size_t kPage = 4096;
constexpr uint64_t kRing = kStreamRingBytes;

uint64_t load_net(const uint64_t* field) {
  return __atomic_load_n(field, __ATOMIC_ACQUIRE);
}
void store_for_net(uint64_t* field, uint64_t value) {
  __atomic_store_n(field, value, __ATOMIC_RELEASE);
}

// A notification for net to signal, and the copy of it that goes to net.
Result<abi::Handle> new_notification(HandleSet& handles) {
  abi::Handle n = TRY(user::notification_create());
  handles.add(TRY(user::handle_duplicate(n, abi::kRightWrite | abi::kRightTransfer)));
  return n;
}

uint64_t min(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

}  // namespace

Result<Client> find_net_server() {
  return open_session<Client>(TRY(look_up_server("net")));
}

Result<uint32_t> parse_ipv4(const char* text) {
  uint8_t bytes[4] = {};
  for (int i = 0; i < 4; ++i) {
    uint32_t value = 0;
    int digits = 0;
    while (*text >= '0' && *text <= '9' && digits < 3) {
      value = value * 10 + static_cast<uint32_t>(*text++ - '0');
      ++digits;
    }
    if (digits == 0 || value > 255) return Err(Error::kBadFormat);
    bytes[i] = static_cast<uint8_t>(value);
    if (i < 3 && *text++ != '.') return Err(Error::kBadFormat);
  }
  if (*text != '\0') return Err(Error::kBadFormat);
  uint32_t ip;
  __builtin_memcpy(&ip, bytes, 4);
  return ip;
}

// --- UDP -------------------------------------------------------------------------------

Result<UdpSocket> UdpSocket::open(Client& net, uint16_t port) {
  UdpSocket socket;
  HandleSet handles;
  socket.net_ = &net;
  socket.notification_ = TRY(new_notification(handles));
  SocketReply reply = TRY(net.udp_open(UdpOpenRequest{port, {}}, &handles));
  socket.socket_ = reply.socket;
  socket.local_port_ = reply.local_port;
  return socket;
}

Result<void> UdpSocket::send_to(uint32_t ip, uint16_t port, const void* data, size_t length) {
  if (length > kUdpDataMax) return Err(Error::kInvalidArgument);
  UdpSendRequest request{};
  request.socket = socket_;
  request.ip = ip;
  request.port = port;
  request.length = static_cast<uint16_t>(length);
  __builtin_memcpy(request.data, data, length);
  TRY(net_->udp_send(request));
  return success();
}

Result<UdpDatagram> UdpSocket::receive(uint64_t timeout_ns) {
  for (;;) {
    Result<UdpDatagram> datagram = net_->udp_receive(SocketRequest{socket_, 0});
    if (datagram.ok() || datagram.error() != Error::kBusy) return datagram;
    TRY(user::notification_wait(notification_, timeout_ns));
  }
}

Result<void> UdpSocket::close() {
  TRY(net_->close(SocketRequest{socket_, 0}));
  return user::handle_close(notification_);
}

// --- streams ---------------------------------------------------------------------------

Result<Stream*> Stream::create() {
  auto* stream = new Stream;
  if (stream == nullptr) return Err(Error::kOutOfMemory);
  stream->allocation_ = malloc(kStreamBytes + kPage);
  if (stream->allocation_ == nullptr) {
    delete stream;
    return Err(Error::kOutOfMemory);
  }
  uint64_t base = (reinterpret_cast<uint64_t>(stream->allocation_) + kPage - 1) & ~(kPage - 1);
  stream->pages_ = reinterpret_cast<uint8_t*>(base);
  __builtin_memset(stream->pages_, 0, kStreamBytes);  // a grant needs every page present
  stream->control_ = reinterpret_cast<StreamControl*>(stream->pages_);
  stream->control_->version = kStreamVersion;
  stream->tx_ring_ = stream->pages_ + kPage;
  stream->rx_ring_ = stream->tx_ring_ + kStreamRingBytes;
  return stream;
}

Result<Stream*> Stream::connect(Client& net, uint32_t ip, uint16_t port) {
  Stream* stream = TRY(create());
  HandleSet handles;
  stream->net_ = &net;
  stream->notification_ = TRY(new_notification(handles));
  Grant grant{reinterpret_cast<uint64_t>(stream->pages_), kStreamBytes, true};
  Result<StreamReply> reply = net.tcp_connect(ConnectRequest{ip, port, 0}, &handles, &grant);
  if (!reply.ok()) {
    (void)user::handle_close(stream->notification_);
    free(stream->allocation_);
    delete stream;
    return Err(reply.error());
  }
  stream->id_ = reply->stream;
  stream->peer_ip_ = ip;
  return stream;
}

Result<void> Stream::check_failed() {
  uint32_t state = __atomic_load_n(&control_->state, __ATOMIC_ACQUIRE);
  if (state != kStreamFailed) return success();
  set_text(reason_, control_->reason, sizeof(control_->reason) - 1);
  return Err(static_cast<Error>(control_->error));
}

Result<void> Stream::update() {
  TRY(net_->stream_update(SocketRequest{id_, 0}));
  return success();
}

Result<void> Stream::wait(uint64_t timeout_ns) {
  Result<uint64_t> bits = user::notification_wait(notification_, timeout_ns);
  if (!bits.ok()) {
    set_text(reason_, "no progress within the timeout", 30);
    return Err(bits.error());
  }
  return success();
}

Result<void> Stream::wait_connected(uint64_t timeout_ns) {
  while (__atomic_load_n(&control_->state, __ATOMIC_ACQUIRE) == kStreamConnecting) {
    TRY(wait(timeout_ns));
  }
  return check_failed();
}

Result<void> Stream::write(const void* data, size_t length, uint64_t idle_timeout_ns) {
  auto* bytes = static_cast<const uint8_t*>(data);
  while (length > 0) {
    TRY(check_failed());
    uint64_t space = kRing - (tx_produced_ - load_net(&control_->tx_acknowledged));
    if (space == 0) {
      TRY(wait(idle_timeout_ns));
      continue;
    }
    uint64_t offset = tx_produced_ % kRing;
    uint64_t n = min(min(space, length), kRing - offset);
    __builtin_memcpy(tx_ring_ + offset, bytes, n);
    tx_produced_ += n;
    store_for_net(&control_->tx_produced, tx_produced_);
    bytes += n;
    length -= n;
    if (length == 0 || n == space) TRY(update());  // a full ring or the end: tell net
  }
  return success();
}

Result<size_t> Stream::read(void* out, size_t capacity, uint64_t timeout_ns) {
  for (;;) {
    uint64_t available = load_net(&control_->rx_produced) - rx_consumed_;
    if (available > 0) {
      uint64_t offset = rx_consumed_ % kRing;
      uint64_t n = min(min(available, capacity), kRing - offset);
      __builtin_memcpy(out, rx_ring_ + offset, n);
      rx_consumed_ += n;
      store_for_net(&control_->rx_consumed, rx_consumed_);
      if (rx_consumed_ - rx_reported_ >= kRing / 4) {  // reopen the window in big steps
        rx_reported_ = rx_consumed_;
        TRY(update());
      }
      return static_cast<size_t>(n);
    }
    if (rx_consumed_ != rx_reported_) {  // nothing left: give the window back before waiting
      rx_reported_ = rx_consumed_;
      TRY(update());
    }
    TRY(check_failed());
    if (__atomic_load_n(&control_->state, __ATOMIC_ACQUIRE) == kStreamPeerClosed &&
        load_net(&control_->rx_produced) == rx_consumed_) {
      return size_t{0};
    }
    TRY(wait(timeout_ns));
  }
}

Result<void> Stream::flush(uint64_t timeout_ns) {
  while (load_net(&control_->tx_acknowledged) != tx_produced_) {
    TRY(check_failed());
    TRY(wait(timeout_ns));
  }
  return success();
}

Result<void> Stream::close(uint64_t timeout_ns) {
  bool flushed = flush(timeout_ns).ok();
  Result<Empty> closed = net_->close(SocketRequest{id_, 0});
  (void)user::handle_close(notification_);
  // Net may still send from the ring if the peer has not acknowledged it: keep the pages.
  if (flushed) free(allocation_);
  delete this;
  if (!closed.ok()) return Err(closed.error());
  return success();
}

// --- listeners -------------------------------------------------------------------------

Result<Listener> Listener::listen(Client& net, uint16_t port, uint16_t backlog) {
  Listener listener;
  HandleSet handles;
  listener.net_ = &net;
  listener.notification_ = TRY(new_notification(handles));
  SocketReply reply = TRY(net.tcp_listen(ListenRequest{port, backlog, 0}, &handles));
  listener.socket_ = reply.socket;
  return listener;
}

Result<Stream*> Listener::accept(uint64_t timeout_ns) {
  Stream* stream = TRY(Stream::create());
  stream->net_ = net_;
  for (;;) {
    HandleSet handles;
    stream->notification_ = TRY(new_notification(handles));
    Grant grant{reinterpret_cast<uint64_t>(stream->pages_), kStreamBytes, true};
    Result<StreamReply> reply = net_->tcp_accept(AcceptRequest{socket_, 0}, &handles, &grant);
    if (reply.ok()) {
      stream->id_ = reply->stream;
      stream->peer_ip_ = reply->peer_ip;
      return stream;
    }
    (void)user::handle_close(stream->notification_);
    if (reply.error() != Error::kBusy || !user::notification_wait(notification_, timeout_ns).ok()) {
      free(stream->allocation_);
      delete stream;
      return Err(reply.error() == Error::kBusy ? Error::kTimedOut : reply.error());
    }
  }
}

Result<void> Listener::close() {
  TRY(net_->close(SocketRequest{socket_, 0}));
  return user::handle_close(notification_);
}

}  // namespace atoll_os::protocols::net
