// Local clients' requests. Handlers hold state.lock while they touch tables and release it
// before anything goes to a peer (peers.h: write_lock before lock, never after).
#include "ipcm_service.h"

#include "../lib/sessions.h"

#include "atoll/user/syscalls.h"
#include "peers.h"

namespace atoll_os::servers::ipcm {
namespace {

using protocols::Empty;
using user::LockGuard;
namespace wire_ipcm = protocols::ipcm;

Result<wire::Name> name_of(const wire_ipcm::NameRequest& r, protocols::Call& call) {
  size_t length = 0;
  while (length < sizeof(r.name) && r.name[length] != '\0') ++length;
  Result<wire::Name> name = wire::Name::from({r.name, length});
  if (!name.ok()) {
    return call.fail(Error::kInvalidArgument, "a name is 1..31 printable characters, no space");
  }
  return name;
}

uint64_t object_of(abi::Handle handle) {
  if (handle == abi::kNoHandle) return 0;
  Result<abi::HandleInfo> info = user::handle_info(handle);
  return info.ok() ? info->object_id : 0;
}

bool has_free_local(const IpcmState& state) {
  for (const LocalPort& local : state.local) {
    if (!local.id.valid()) return true;
  }
  return false;
}

size_t ports_of(const IpcmState& state, uint64_t owner) {
  size_t n = 0;
  for (const LocalPort& local : state.local) n += local.id.valid() && local.owner == owner;
  return n;
}

// Drops what a closing port still holds, giving the senders' quotas back.
void drain(IpcmState& state, const LocalPort& local) {
  PortMessage message;
  while (state.ports.receive(local.id, local.owner, message).value_or(false)) {
    if (message.charged_to != 0) state.quota.release(message.charged_to, message.length);
  }
}

// A moving port's queue, taken out under the lock and sent after it (one IPC thread).
PortMessage g_moving[kPortQueueMax];

// On the stream to `to`, in this order: the news (so that `to` installs the port at once and
// its owner can drain it: a port still on its way takes nothing out), the queue, this node's
// flush. Then every other node learns of the move and flushes its old path through here.
void send_moved_queue(IpcmState& state, PortId port, uint16_t to,
                      std::span<const PortMessage> queue, Location location) {
  wire::Frame moved{};
  moved.header.kind = wire::Kind::kPortMoved;
  moved.port_moved = {port, to, location.epoch};
  wire::Frame first = moved;
  (void)send_patiently(state, to, first);
  for (const PortMessage& m : queue) {
    wire::Frame frame{};
    frame.header.kind = wire::Kind::kData;
    frame.data = {port, m.reply, location.epoch, m.label, m.sender_node, 0, m.length, {}};
    __builtin_memcpy(frame.data.bytes, m.bytes, m.length);
    (void)send_patiently(state, to, frame);
  }
  wire::Frame flush{};
  flush.header.kind = wire::Kind::kPortFlush;
  flush.port_flush = {port, state.node, location.epoch};
  (void)send_patiently(state, to, flush);
  {
    LockGuard guard(state.lock);
    (void)state.ports.departed(port);
  }
  for (uint16_t node = 0; node < state.nodes; ++node) {
    if (node == state.node || node == to) continue;
    wire::Frame copy = moved;
    (void)send_patiently(state, node, copy);
  }
}

}  // namespace

LocalPort* local_port(IpcmState& state, PortId port) {
  for (LocalPort& local : state.local) {
    if (local.id == port && local.id.valid()) return &local;
  }
  return nullptr;
}

void release_local(LocalPort& local) {
  if (local.direct != abi::kNoHandle) {
    (void)user::handle_revoke(local.direct);
    (void)user::handle_close(local.direct);
  }
  (void)user::handle_revoke(local.notification);
  (void)user::handle_close(local.notification);
  local = LocalPort{};
}

LocalPort* bind_local(IpcmState& state, PortId port, uint64_t owner, abi::Handle notification,
                      abi::Handle direct) {
  for (LocalPort& local : state.local) {
    if (local.id.valid()) continue;
    local = {port, owner, notification, direct, object_of(notification), object_of(direct)};
    return &local;
  }
  return nullptr;
}

Result<void> move_port(IpcmState& state, PortId port, uint16_t to, uint64_t owner) {
  PortMessage* queue = g_moving;
  size_t moved = 0;
  Location location;
  {
    LockGuard guard(state.lock);
    LocalPort* local = local_port(state, port);
    if (local == nullptr || local->owner != owner) return Err(Error::kNotFound);
    location = TRY(state.ports.move_out(port, to, {queue, kPortQueueMax}, moved));
    state.locations.update(port, location);
    for (size_t i = 0; i < moved; ++i) {
      if (queue[i].charged_to != 0) state.quota.release(queue[i].charged_to, queue[i].length);
    }
    release_local(*local);
  }
  send_moved_queue(state, port, to, {queue, moved}, location);
  return success();
}

Result<Empty> IpcmService::open_session(const Empty&, Call& call) {
  LockGuard guard(state_.lock);
  return servers::open_session(state_.endpoint, &state_.sessions, call);
}

Result<wire_ipcm::PortReply> IpcmService::port_create(const Empty&, Call& call) {
  TRY(require_session(call));
  abi::Handle notification = call.received.values[0];
  if (notification == abi::kNoHandle) {
    return call.fail(Error::kInvalidArgument, "a port needs a notification moved in");
  }
  LockGuard guard(state_.lock);
  if (ports_of(state_, call.badge) >= kPortsPerSession) {
    return call.fail(Error::kOutOfMemory, "the session holds too many ports");
  }
  if (!has_free_local(state_)) return call.fail(Error::kOutOfMemory, "ipcm has no free port");
  PortId id = TRY(state_.ids.allocate());
  if (!state_.ports.open(id, call.badge).ok()) {
    return call.fail(Error::kOutOfMemory, "ipcm has no free port");
  }
  abi::Handle notification_copy = call.received.take(0);
  (void)bind_local(state_, id, call.badge, notification_copy, call.received.take(1));
  return wire_ipcm::PortReply{id.value};
}

Result<Empty> IpcmService::port_close(const wire_ipcm::PortRequest& r, Call& call) {
  wire::Frame unregister{};
  {
    LockGuard guard(state_.lock);
    LocalPort* local = local_port(state_, PortId{r.port});
    if (local == nullptr || local->owner != call.badge) {
      return call.fail(Error::kNotFound, "no such port of this session");
    }
    drain(state_, *local);
    (void)state_.ports.close(local->id, call.badge);
    for (NameBinding& binding : state_.names) {
      if (binding.port == local->id) {
        unregister.header.kind = wire::Kind::kUnregister;
        unregister.registration = {binding.port, binding.name};
        binding.port = PortId::none();
      }
    }
    release_local(*local);
  }
  if (unregister.header.kind == wire::Kind::kUnregister) broadcast(state_, unregister);
  return Empty{};
}

Result<Empty> IpcmService::send(const wire_ipcm::SendRequest& r, Call& call) {
  TRY(require_session(call));
  if (call.length != wire_ipcm::SendRequest::kMinimumSize + r.length) {
    return call.fail(Error::kInvalidArgument, "the message length does not match the payload");
  }
  PortId destination{r.destination};
  if (!destination.valid()) return call.fail(Error::kInvalidArgument, "no destination port");
  Location location;
  {
    LockGuard guard(state_.lock);
    location = locate(state_, destination);
  }
  if (location.node != state_.node) return send_remote(location, r, call);
  PortMessage message{};
  message.reply = PortId{r.reply};
  message.label = r.label;
  message.sender_node = state_.node;
  message.length = r.length;
  message.charged_to = call.badge;
  __builtin_memcpy(message.bytes, r.data, r.length);
  LockGuard guard(state_.lock);
  if (Refusal refusal = state_.quota.charge(call.badge, r.length); refusal != Refusal::kNone) {
    return call.fail(Error::kOutOfMemory, refusal_name(refusal));
  }
  Result<Delivery> delivered = deliver_local(state_, destination, message);
  if (!delivered.ok() || delivered->placement == Placement::kForward) {
    state_.quota.release(call.badge, r.length);
    bool moving = delivered.ok() || delivered.error() == Error::kBusy;
    if (moving) return call.fail(Error::kBusy, "the port is moving; retry");
    return call.fail(delivered.error(), delivered.error() == Error::kNotFound
                                            ? "no such port"
                                            : "the port's queue is full");
  }
  return Empty{};
}

Result<Empty> IpcmService::send_remote(Location location, const wire_ipcm::SendRequest& r,
                                       Call& call) {
  wire::Frame frame{};
  frame.header.kind = wire::Kind::kData;
  frame.data.destination = PortId{r.destination};
  frame.data.reply = PortId{r.reply};
  frame.data.label = r.label;
  frame.data.epoch = location.epoch;
  frame.data.sender_node = state_.node;
  // Straight to a moved port's new node: held there until this node's flush arrives.
  frame.data.flags = location.epoch > 0 ? wire::kDataAfterMove : 0;
  frame.data.length = r.length;
  __builtin_memcpy(frame.data.bytes, r.data, r.length);
  Result<void> sent = send_to_node(state_, location.node, frame, SendFor::kClient);
  if (sent.ok()) return Empty{};
  if (sent.error() == Error::kBusy) {
    return call.fail(Error::kBusy, "the link to the port's node is busy or connecting; retry");
  }
  return call.fail(Error::kNotFound, "the port's node is unreachable");
}

Result<wire_ipcm::ReceivedMessage> IpcmService::receive(const wire_ipcm::PortRequest& r,
                                                        Call& call) {
  LockGuard guard(state_.lock);
  PortMessage message;
  Result<bool> got = state_.ports.receive(PortId{r.port}, call.badge, message);
  LocalPort* local = local_port(state_, PortId{r.port});
  bool arriving = !got.ok() && local != nullptr && local->owner == call.badge;
  if (arriving) return call.fail(Error::kBusy, "the port is still on its way here");
  if (!got.ok()) return call.fail(got.error(), "no such port of this session");
  if (!*got) return call.fail(Error::kBusy, "no message yet: wait on the port's notification");
  if (message.charged_to != 0) state_.quota.release(message.charged_to, message.length);
  ++state_.counters.messages_delivered;
  wire_ipcm::ReceivedMessage out{};
  out.port = r.port;
  out.reply = message.reply.value;
  out.label = message.label;
  out.length = message.length;
  out.sender_node = message.sender_node;
  __builtin_memcpy(out.data, message.bytes, message.length);
  return out;
}

Result<Empty> IpcmService::port_expect(const wire_ipcm::MoveRequest& r, Call& call) {
  TRY(require_session(call));
  abi::Handle notification = call.received.values[0];
  if (notification == abi::kNoHandle) {
    return call.fail(Error::kInvalidArgument, "a port needs a notification moved in");
  }
  LockGuard guard(state_.lock);
  PortId port{r.port};
  if (local_port(state_, port) != nullptr) {
    return call.fail(Error::kAlreadyExists, "the port is already here");
  }
  if (!has_free_local(state_) || !port.valid() || !state_.ports.expect(port, r.epoch).ok()) {
    return call.fail(Error::kOutOfMemory, "ipcm cannot take another port");
  }
  abi::Handle notification_copy = call.received.take(0);
  (void)bind_local(state_, port, call.badge, notification_copy, call.received.take(1));
  return Empty{};
}

Result<Empty> IpcmService::port_move(const wire_ipcm::MoveRequest& r, Call& call) {
  PortId port{r.port};
  if (r.node >= state_.nodes || r.node == state_.node) {
    return call.fail(Error::kInvalidArgument, "no such other node");
  }
  Result<void> moved = move_port(state_, port, static_cast<uint16_t>(r.node), call.badge);
  if (moved.ok()) return Empty{};
  if (moved.error() == Error::kNotFound) {
    return call.fail(Error::kNotFound, "no such port of this session");
  }
  return call.fail(moved.error(), "the port cannot move now (held messages)");
}

Result<Empty> IpcmService::name_register(const wire_ipcm::NameRequest& r, Call& call) {
  wire::Name name = TRY(name_of(r, call));
  wire::Frame frame{};
  {
    LockGuard guard(state_.lock);
    LocalPort* local = local_port(state_, PortId{r.port});
    if (local == nullptr || local->owner != call.badge) {
      return call.fail(Error::kNotFound, "no such port of this session");
    }
    NameBinding* free = nullptr;
    for (NameBinding& binding : state_.names) {
      if (binding.port.valid() && binding.name.view() == name.view()) {
        return call.fail(Error::kAlreadyExists, "the name is taken");
      }
      if (!binding.port.valid() && free == nullptr) free = &binding;
    }
    if (free == nullptr) return call.fail(Error::kOutOfMemory, "the name table is full");
    *free = {name, local->id};
    frame.header.kind = wire::Kind::kRegister;
    frame.registration = {local->id, name};
  }
  broadcast(state_, frame);
  return Empty{};
}

Result<wire_ipcm::PortReply> IpcmService::name_lookup(const wire_ipcm::NameRequest& r, Call& call) {
  wire::Name name = TRY(name_of(r, call));
  LockGuard guard(state_.lock);
  for (const NameBinding& binding : state_.names) {
    if (binding.port.valid() && binding.name.view() == name.view()) {
      return wire_ipcm::PortReply{binding.port.value};
    }
  }
  return call.fail(Error::kNotFound, "no port has that name (yet)");
}

Result<wire_ipcm::StatsReply> IpcmService::stats(const Empty&, Call&) {
  LockGuard guard(state_.lock);
  wire_ipcm::StatsReply reply{};
  reply.node = state_.node;
  for (uint16_t node = 0; node < state_.nodes; ++node) {
    const Peer* peer = state_.peers[node];
    if (peer == nullptr) continue;
    reply.peers_connected += peer->stream != nullptr && peer->introduced && !peer->gone;
    reply.duplicates_dropped += const_cast<Peer*>(peer)->link.receiving().duplicates();
  }
  reply.frames_sent = state_.counters.frames_sent;
  reply.frames_received = state_.counters.frames_received;
  reply.messages_queued = state_.counters.messages_queued;
  reply.messages_delivered = state_.counters.messages_delivered;
  reply.messages_dropped = state_.counters.messages_dropped;
  for (const NameBinding& binding : state_.names) reply.names += binding.port.valid();
  return reply;
}

Result<Empty> IpcmService::direct_open(const wire_ipcm::PortRequest& r, Call& call) {
  TRY(require_session(call));
  LockGuard guard(state_.lock);
  PortId port{r.port};
  LocalPort* local = local_port(state_, port);
  if (local == nullptr || !state_.ports.is_local(port)) {
    return call.fail(Error::kNotFound, "the port is not on this node");
  }
  if (local->direct == abi::kNoHandle) {
    return call.fail(Error::kNotFound, "the port's owner takes no direct calls");
  }
  if (state_.ports.queued_from(port, call.badge) != 0) {
    return call.fail(Error::kBusy, "messages of this session are still queued at the port");
  }
  constexpr uint32_t kRights = abi::kRightWrite | abi::kRightTransfer;
  Result<abi::Handle> endpoint = user::handle_duplicate(local->direct, kRights, call.badge);
  if (!endpoint.ok()) return call.fail(endpoint.error(), "cannot copy the port's endpoint");
  Result<abi::Handle> signal = user::handle_duplicate(local->notification, kRights);
  if (!signal.ok()) {
    (void)user::handle_close(*endpoint);
    return call.fail(signal.error(), "cannot copy the port's notification");
  }
  call.reply.add(*endpoint);
  call.reply.add(*signal);
  return Empty{};
}

}  // namespace atoll_os::servers::ipcm
