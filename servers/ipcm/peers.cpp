// Peer connections. Each connection has a reader thread; writes come from whichever thread
// sends (the service, a reader acknowledging, the ticker), one at a time per peer.
#include "peers.h"

#include "atoll/protocols/ipcm.h"
#include "atoll/user/clock.h"
#include "atoll/user/print.h"
#include "atoll/user/syscalls.h"
#include "atoll/user/thread.h"

namespace atoll_os::servers::ipcm {
namespace {

namespace net = protocols::net;
using user::LockGuard;

constexpr uint64_t kReadPollNs = 100'000'000;
constexpr uint64_t kWriteTimeoutNs = 2'000'000'000;
constexpr uint64_t kConnectRetryMs = 300;
constexpr size_t kThreadStack = 64 * 1024;
constexpr uint64_t kBacklogPatienceNs = 5'000'000'000;

// One frame buffer per peer, used under that peer's write_lock.
uint8_t g_buffers[kNodesMax][wire::kFrameMax];

void stamp_addresses(const IpcmState& state, uint16_t node, wire::Header& header) {
  header.sender_node = state.node;
  header.receiver_node = node;
}

// The connection is finished with: forget it if it is still the peer's.
void drop_connection(IpcmState& state, uint16_t node, net::Stream* stream) {
  LockGuard guard(state.lock);
  Peer& peer = *state.peers[node];
  if (peer.stream == stream) {
    peer.stream = nullptr;
    peer.introduced = false;
  }
}

// Messages the gone node never acknowledged will not arrive: each one that names a reply
// port here gets an empty kLabelUndeliverable message there, so a caller learns at once.
void bounce_unacked(IpcmState& state, Peer& peer, uint16_t node) {
  SendWindow& window = peer.link.sending();
  for (size_t i = 0; i < window.unacked(); ++i) {
    const wire::Frame& frame = window.unacked_at(i);
    if (frame.header.kind != wire::Kind::kData || !frame.data.reply.valid()) continue;
    PortMessage bounce{};
    bounce.reply = frame.data.destination;
    bounce.label = protocols::ipcm::kLabelUndeliverable;
    bounce.sender_node = node;
    (void)deliver_local(state, frame.data.reply, bounce);
  }
  window.reset();
}

// A peer fell silent or its stream failed: its names and the messages it held are gone.
void declare_gone(IpcmState& state, uint16_t node) {
  Peer& peer = *state.peers[node];
  if (peer.gone) return;
  peer.gone = true;
  peer.gone_incarnation = peer.link.peer_incarnation();
  for (NameBinding& binding : state.names) {
    if (binding.port.valid() && binding.port.origin_node() == node) binding.port = PortId::none();
  }
  state.ports.release_held();
  bounce_unacked(state, peer, node);
  user::print("ipcm: node %u is gone\n", node);
}

// The peer whose reader is handling `frame`: the one that sent it.
Peer& reader_of(IpcmState& state, const wire::Frame& frame) {
  return *state.peers[frame.header.sender_node];
}

// Queues a frame for the reader to send once it has released the state lock.
void post(Peer& reader, uint16_t node, const wire::Frame& frame) {
  if (reader.outbox_count < sizeof(reader.outbox) / sizeof(reader.outbox[0])) {
    reader.outbox[reader.outbox_count++] = {node, frame};
  }
}

void signal_owner(IpcmState& state, PortId port) {
  for (const LocalPort& local : state.local) {
    if (local.id == port && local.id.valid() && state.ports.queued(port) != 0) {
      (void)user::notification_signal(local.notification, protocols::ipcm::kPortBit);
    }
  }
}

void handle_registration(IpcmState& state, const wire::Frame& frame) {
  const wire::Registration& r = frame.registration;
  NameBinding* free = nullptr;
  for (NameBinding& binding : state.names) {
    bool same = binding.port.valid() && binding.name.view() == r.name.view();
    if (same) {
      binding.port = frame.header.kind == wire::Kind::kRegister ? r.port : PortId::none();
      return;
    }
    if (!binding.port.valid() && free == nullptr) free = &binding;
  }
  if (frame.header.kind == wire::Kind::kRegister && free != nullptr) *free = {r.name, r.port};
}

// Whether a frame refused with `error` should wait in the backlog: kOutOfMemory (the port's
// queue is full) or kBusy (the port is leaving this node and its queue must go first).
bool must_wait(Error error) {
  return error == Error::kOutOfMemory || error == Error::kBusy;
}

// kOutOfMemory or kBusy: try again later (must_wait); a port that is gone drops it.
Result<void> handle_data(IpcmState& state, const wire::Frame& frame) {
  const wire::Data& d = frame.data;
  PortMessage message{};
  message.reply = d.reply;
  message.label = d.label;
  message.sender_node = d.sender_node;
  message.length = d.length;
  message.after_move = (d.flags & wire::kDataAfterMove) != 0;
  __builtin_memcpy(message.bytes, d.bytes, d.length);
  Result<Delivery> delivered = deliver_local(state, d.destination, message);
  if (!delivered.ok() && must_wait(delivered.error())) return Err(delivered.error());
  if (!delivered.ok()) ++state.counters.messages_dropped;
  if (delivered.ok() && delivered->placement == Placement::kForward) {
    post(reader_of(state, frame), delivered->forward_to.node, frame);
  }
  return success();
}

// A sender's flush through the old node of a moved port; kBusy while the port leaves.
Result<void> handle_flush(IpcmState& state, const wire::Frame& frame) {
  const wire::PortFlush& f = frame.port_flush;
  Result<Delivery> flushed = state.ports.flush(f.port, f.sender_node);
  if (!flushed.ok() && flushed.error() == Error::kBusy) return Err(Error::kBusy);
  if (flushed.ok() && flushed->placement == Placement::kForward) {
    post(reader_of(state, frame), flushed->forward_to.node, frame);
  } else if (flushed.ok()) {
    signal_owner(state, f.port);
  }
  return success();
}

// A port moved: remember where; install it if it came here; otherwise flush the old path
// (the node that sent this) so that our later, direct messages wait for our earlier ones.
void handle_moved(IpcmState& state, uint16_t from, const wire::Frame& frame) {
  const wire::PortMoved& m = frame.port_moved;
  state.locations.update(m.port, {m.node, m.epoch});
  if (m.node == state.node) {
    for (const LocalPort& local : state.local) {
      if (local.id == m.port && local.id.valid()) {
        (void)state.ports.move_in(m.port, local.owner, {});
        signal_owner(state, m.port);
      }
    }
    return;
  }
  wire::Frame flush{};
  flush.header.kind = wire::Kind::kPortFlush;
  flush.port_flush = {m.port, state.node, m.epoch};
  post(reader_of(state, frame), from, flush);
}

// One in-order frame from a peer (state.lock held); an error that must_wait() if it must.
Result<void> handle_in_order(IpcmState& state, const wire::Frame& frame) {
  switch (frame.header.kind) {
    case wire::Kind::kData: return handle_data(state, frame);
    case wire::Kind::kRegister:
    case wire::Kind::kUnregister: handle_registration(state, frame); break;
    case wire::Kind::kPortFlush: return handle_flush(state, frame);
    case wire::Kind::kPortMoved: handle_moved(state, frame.header.sender_node, frame); break;
    default: break;  // lookups are answered from the replicated names instead
  }
  return success();
}

// In order: behind frames already waiting, or at once if it can be (state.lock held).
void take_in_order(Peer& peer, IpcmState& state, const wire::Frame& frame) {
  if (peer.backlog_count == 0 && handle_in_order(state, frame).ok()) return;
  peer.backlog[peer.backlog_count++] = frame;  // room: drain_backlog empties it per frame
}

// A decoded frame from `node` (state.lock held).
void handle_frame(IpcmState& state, uint16_t node, const wire::Frame& frame) {
  Peer& peer = *state.peers[node];
  ++state.counters.frames_received;
  peer.last_heard_ns = user::now_ns();
  // A node declared gone stays gone for that boot: its old stream was cut off (bounced).
  if (peer.gone && frame.header.sender_incarnation <= peer.gone_incarnation) return;
  switch (peer.link.check(frame.header)) {
    case Incarnation::kStale: return;
    case Incarnation::kPeerRebooted:
      peer.link.restart(frame.header.sender_incarnation);
      peer.names_owed = true;
      break;
    case Incarnation::kCurrent: break;
  }
  if (peer.gone) {
    peer.gone = false;
    peer.names_owed = true;
    user::print("ipcm: node %u is back\n", node);
  }
  Result<Arrival> arrival = peer.link.receive(frame);
  if (!arrival.ok() || *arrival != Arrival::kDeliver) return;
  take_in_order(peer, state, frame);
  wire::Frame ready;
  while (peer.link.receiving().take_ready(ready)) take_in_order(peer, state, ready);
}

// Delivers the frames waiting for room at their ports, in order, before the reader takes
// anything more from the peer (TCP then holds the peer back). A port whose owner takes
// nothing for kBacklogPatienceNs loses the message: one stuck receiver must not stop a
// link that other ports share. A leaving port is waited for without limit: its move ends
// once its queue is sent, or the destination is gone.
void drain_backlog(IpcmState& state, uint16_t node) {
  Peer& peer = *state.peers[node];
  uint64_t since = user::now_ns();
  for (;;) {
    {
      LockGuard guard(state.lock);
      while (peer.backlog_count > 0) {
        Result<void> handled = handle_in_order(state, peer.backlog[0]);
        if (!handled.ok()) {
          bool stuck_receiver = handled.error() == Error::kOutOfMemory;
          if (!stuck_receiver || user::now_ns() - since < kBacklogPatienceNs) break;
          ++state.counters.messages_dropped;
          user::print("ipcm: dropped a message from node %u: its port's owner took nothing\n",
                      node);
        }
        for (size_t i = 1; i < peer.backlog_count; ++i) peer.backlog[i - 1] = peer.backlog[i];
        --peer.backlog_count;
        since = user::now_ns();
      }
      if (peer.backlog_count == 0) return;
    }
    (void)user::sleep_ms(1);
  }
}

Result<size_t> encode_for(IpcmState& state, uint16_t node, wire::Frame& frame, SendFor sender,
                          uint8_t* out) {
  LockGuard guard(state.lock);
  Peer& peer = *state.peers[node];
  if (peer.gone) return Err(Error::kNotFound);
  if (sender == SendFor::kClient && peer.link.sending().unacked() >= kClientWindow) {
    return Err(Error::kBusy);
  }
  if (peer.stream == nullptr || !peer.introduced) {
    if (frame.header.kind != wire::Kind::kHello || peer.stream == nullptr) {
      return Err(Error::kBusy);
    }
  }
  stamp_addresses(state, node, frame.header);
  if (wire::is_sequenced(frame.header.kind)) {
    TRY(peer.link.send(frame));
  } else {
    peer.link.stamp(frame.header);
  }
  peer.acked_through = frame.header.ack;
  ++state.counters.frames_sent;
  return wire::encode(frame, {out, wire::kFrameMax});
}

Result<void> write_bytes(IpcmState& state, uint16_t node, const uint8_t* bytes, size_t n) {
  net::Stream* stream;
  {
    LockGuard guard(state.lock);
    stream = state.peers[node]->stream;
  }
  if (stream == nullptr) return Err(Error::kBusy);
  return stream->write(bytes, n, kWriteTimeoutNs);
}

// Frames still unacknowledged go again on a new connection; the peer drops duplicates.
void resend_unacked(IpcmState& state, uint16_t node) {
  Peer& peer = *state.peers[node];
  LockGuard writing(peer.write_lock);
  uint8_t* buffer = g_buffers[node];
  for (size_t i = 0;; ++i) {
    size_t length;
    {
      LockGuard guard(state.lock);
      if (i >= peer.link.sending().unacked() || peer.stream == nullptr) return;
      wire::Frame frame = peer.link.sending().unacked_at(i);
      peer.link.stamp(frame.header);  // the ack moves on; the number stays
      Result<size_t> encoded = wire::encode(frame, {buffer, wire::kFrameMax});
      if (!encoded.ok()) return;
      length = *encoded;
    }
    if (!write_bytes(state, node, buffer, length).ok()) return;
  }
}

void send_names(IpcmState& state, uint16_t node) {
  for (size_t i = 0; i < kNamesMax; ++i) {
    wire::Frame frame{};
    {
      LockGuard guard(state.lock);
      const NameBinding& binding = state.names[i];
      if (!binding.port.valid() || binding.port.origin_node() != state.node) continue;
      frame.header.kind = wire::Kind::kRegister;
      frame.registration = {binding.port, binding.name};
    }
    (void)send_to_node(state, node, frame);
  }
}

void send_unsequenced(IpcmState& state, uint16_t node, wire::Kind kind) {
  wire::Frame frame{};
  frame.header.kind = kind;
  (void)send_to_node(state, node, frame);
}

// After HELLO on a connection: what the peer is owed.
void introduce(IpcmState& state, uint16_t node) {
  bool owed;
  {
    LockGuard guard(state.lock);
    Peer& peer = *state.peers[node];
    peer.introduced = true;
    owed = peer.names_owed;
    peer.names_owed = false;
  }
  resend_unacked(state, node);
  if (owed) send_names(state, node);
}

// Sends what handling a frame posted (forwards and flushes), waiting out a busy link.
void send_outbox(IpcmState& state, uint16_t node) {
  Peer& peer = *state.peers[node];
  for (size_t i = 0;; ++i) {
    Peer::Outgoing out;
    {
      LockGuard guard(state.lock);
      if (i >= peer.outbox_count) {
        peer.outbox_count = 0;
        return;
      }
      out = peer.outbox[i];
    }
    (void)send_patiently(state, out.node, out.frame);
  }
}

// Whether frames were delivered since the last frame to the peer carried an ack: only then
// is an ACK worth sending (an ACK answering an ACK would never stop).
bool owes_ack(IpcmState& state, uint16_t node) {
  LockGuard guard(state.lock);
  Peer& peer = *state.peers[node];
  return peer.link.receiving().delivered_through() != peer.acked_through;
}

// Handles a frame from `node`; true if it left work that may wait for room elsewhere (a
// backlog or an outbox). The reader then reads nothing more from that peer, so the peer's
// silence meanwhile is this node's doing and must not declare it gone.
bool handle_and_hold(IpcmState& state, uint16_t node, const wire::Frame& frame) {
  LockGuard guard(state.lock);
  handle_frame(state, node, frame);
  Peer& peer = *state.peers[node];
  peer.reader_busy = peer.backlog_count > 0 || peer.outbox_count > 0;
  return peer.reader_busy;
}

// The reader reads again: the peer's silence counts from now.
void resume_reading(IpcmState& state, uint16_t node) {
  LockGuard guard(state.lock);
  Peer& peer = *state.peers[node];
  peer.reader_busy = false;
  peer.last_heard_ns = user::now_ns();
}

// Reads frames until the stream fails or another connection replaces it.
void read_frames(IpcmState& state, uint16_t node, net::Stream* stream, StreamFramer& framer) {
  uint8_t chunk[2048];
  wire::Frame frame;
  for (;;) {
    Result<size_t> n = stream->read(chunk, sizeof(chunk), kReadPollNs);
    if (!n.ok() && n.error() == Error::kTimedOut) {
      LockGuard guard(state.lock);
      if (state.peers[node]->stream != stream) return;
      continue;
    }
    if (!n.ok() || *n == 0) return;
    bool saw_hello = false;
    for (size_t used = 0; used < *n;) {
      Result<size_t> taken = framer.feed({chunk + used, *n - used});
      if (!taken.ok()) return;  // not our protocol: drop the connection
      used += *taken;
      if (!framer.frame_ready()) continue;
      const char* reason = nullptr;
      if (wire::decode(framer.frame(), frame, reason).ok() && frame.header.sender_node == node) {
        saw_hello |= frame.header.kind == wire::Kind::kHello;
        if (handle_and_hold(state, node, frame)) {
          drain_backlog(state, node);
          send_outbox(state, node);
          resume_reading(state, node);
        }
      }
      framer.next();
    }
    if (saw_hello) introduce(state, node);
    if (owes_ack(state, node)) send_unsequenced(state, node, wire::Kind::kAck);
  }
}

// Reads a peer's connection, with a fresh framer, until it ends; then lets it go.
void read_until_closed(IpcmState& state, uint16_t node, net::Stream* stream) {
  StreamFramer framer;  // the connection's own: an old reader may still be finishing
  read_frames(state, node, stream, framer);
  drop_connection(state, node, stream);
  (void)stream->close(0);
}

// Makes `stream` the peer's connection and reads it until it ends.
void run_connection(IpcmState& state, uint16_t node, net::Stream* stream, bool connector) {
  {
    LockGuard guard(state.lock);
    Peer& peer = *state.peers[node];
    peer.stream = stream;
    peer.introduced = false;
    peer.last_heard_ns = user::now_ns();
  }
  if (connector) send_unsequenced(state, node, wire::Kind::kHello);
  read_until_closed(state, node, stream);
}

struct ConnectorArgs {
  IpcmState* state;
  uint16_t node;
};

void connector_thread(void* argument) {
  auto* args = static_cast<ConnectorArgs*>(argument);
  IpcmState& state = *args->state;
  for (;;) {
    Result<net::Stream*> stream =
        net::Stream::connect(state.net, state.ip_of(args->node), kIpcmTcpPort);
    if (stream.ok() && (*stream)->wait_connected(2'000'000'000).ok()) {
      run_connection(state, args->node, *stream, true);
    } else if (stream.ok()) {
      (void)(*stream)->close(0);
    }
    (void)user::sleep_ms(kConnectRetryMs);
  }
}

struct AcceptedArgs {
  IpcmState* state;
  net::Stream* stream;
};

// A connection from a higher node: its first frame (HELLO) says which.
void accepted_thread(void* argument) {
  auto* args = static_cast<AcceptedArgs*>(argument);
  IpcmState& state = *args->state;
  net::Stream* stream = args->stream;
  delete args;
  uint8_t header[wire::kHeaderSize];
  size_t got = 0;
  while (got < sizeof(header)) {
    Result<size_t> n = stream->read(header + got, sizeof(header) - got, 5'000'000'000);
    if (!n.ok() || *n == 0) {
      (void)stream->close(0);
      return;
    }
    got += *n;
  }
  wire::Header h{};
  const char* reason = nullptr;
  if (!wire::decode_header({header, sizeof(header)}, h, reason).ok() ||
      h.sender_node <= state.node || h.sender_node >= state.nodes || h.kind != wire::Kind::kHello) {
    (void)stream->close(0);
    return;
  }
  uint16_t node = h.sender_node;
  {
    LockGuard guard(state.lock);
    Peer& peer = *state.peers[node];
    peer.stream = stream;
    peer.introduced = false;
    peer.last_heard_ns = user::now_ns();
    wire::Frame hello{};
    hello.header = h;
    handle_frame(state, node, hello);
  }
  send_unsequenced(state, node, wire::Kind::kHello);
  introduce(state, node);
  read_until_closed(state, node, stream);
}

void acceptor_thread(void* argument) {
  IpcmState& state = *static_cast<IpcmState*>(argument);
  Result<net::Listener> listener = net::Listener::listen(state.net, kIpcmTcpPort, 8);
  if (!listener.ok()) {
    user::print("ipcm: cannot listen on TCP port %u: %s\n", kIpcmTcpPort,
                error_name(listener.error()));
    return;
  }
  for (;;) {
    Result<net::Stream*> stream = listener->accept(abi::kForever);
    if (!stream.ok()) continue;
    auto* args = new AcceptedArgs{&state, *stream};
    if (!user::spawn_thread(accepted_thread, args, kThreadStack, kIpcmPriority).ok()) {
      (void)(*stream)->close(0);
      delete args;
    }
  }
}

// Heartbeats, and the verdict on peers that fell silent.
void ticker_thread(void* argument) {
  IpcmState& state = *static_cast<IpcmState*>(argument);
  for (;;) {
    (void)user::sleep_ms(kHeartbeatNs / 1'000'000);
    uint64_t now = user::now_ns();
    for (uint16_t node = 0; node < state.nodes; ++node) {
      if (node == state.node) continue;
      {
        LockGuard guard(state.lock);
        Peer& peer = *state.peers[node];
        bool silent = peer.last_heard_ns != 0 && now - peer.last_heard_ns > kPeerSilenceNs &&
                      !peer.reader_busy;
        if (silent && !peer.gone) declare_gone(state, node);
        if (peer.stream == nullptr || !peer.introduced) continue;
      }
      send_unsequenced(state, node, wire::Kind::kAck);
    }
  }
}

}  // namespace

Location locate(IpcmState& state, PortId port) {
  return state.locations.locate(port);
}

Result<Delivery> deliver_local(IpcmState& state, PortId port, const PortMessage& message) {
  Result<Delivery> delivery = state.ports.deliver(port, message);
  if (!delivery.ok() || delivery->placement != Placement::kQueued) return delivery;
  ++state.counters.messages_queued;
  for (const LocalPort& local : state.local) {
    if (local.id == port && local.notification != abi::kNoHandle) {
      (void)user::notification_signal(local.notification, protocols::ipcm::kPortBit);
    }
  }
  return delivery;
}

Result<void> send_patiently(IpcmState& state, uint16_t node, wire::Frame& frame) {
  const uint64_t start = user::now_ns();
  for (;;) {
    wire::Frame copy = frame;
    Result<void> sent = send_to_node(state, node, copy);
    if (sent.ok()) return sent;
    if (sent.error() == Error::kBusy && user::now_ns() - start < kPatienceNs) {
      (void)user::sleep_ms(1);
      continue;
    }
    LockGuard guard(state.lock);
    ++state.counters.messages_dropped;
    user::print("ipcm: dropped a %s frame for node %u: %s\n", wire::kind_name(frame.header.kind),
                node, error_name(sent.error()));
    return sent;
  }
}

Result<void> send_to_node(IpcmState& state, uint16_t node, wire::Frame& frame, SendFor sender) {
  if (node >= state.nodes || node == state.node || state.peers[node] == nullptr) {
    return Err(Error::kNotFound);
  }
  Peer& peer = *state.peers[node];
  LockGuard writing(peer.write_lock);
  Result<size_t> length = encode_for(state, node, frame, sender, g_buffers[node]);
  if (!length.ok())
    return Err(length.error() == Error::kOutOfMemory ? Error::kBusy : length.error());
  // A sequenced frame is in the send window now: if this write fails it goes again on the
  // next connection, so the sender must not send it a second time.
  (void)write_bytes(state, node, g_buffers[node], *length);
  return success();
}

void broadcast(IpcmState& state, wire::Frame& frame) {
  for (uint16_t node = 0; node < state.nodes; ++node) {
    if (node == state.node) continue;
    wire::Frame copy = frame;
    if (!send_to_node(state, node, copy).ok()) {
      LockGuard guard(state.lock);
      state.peers[node]->names_owed = true;  // sent in full once it is introduced
    }
  }
}

Result<void> start_peer_threads(IpcmState& state) {
  for (uint16_t node = 0; node < state.nodes; ++node) {
    if (node != state.node) state.peers[node] = new Peer(state.incarnation);
  }
  if (!state.has_network || state.nodes <= 1) return success();
  if (state.node + 1 < state.nodes) {
    TRY(user::spawn_thread(acceptor_thread, &state, kThreadStack, kIpcmPriority));
  }
  for (uint16_t node = 0; node < state.node; ++node) {
    auto* args = new ConnectorArgs{&state, node};
    TRY(user::spawn_thread(connector_thread, args, kThreadStack, kIpcmPriority));
  }
  TRY(user::spawn_thread(ticker_thread, &state, kThreadStack, kIpcmPriority));
  return success();
}

}  // namespace atoll_os::servers::ipcm
