// Ports, sends and names over a session with this node's ipcm. No ipcm operation blocks:
// the waiting for messages, for a busy link and for a name to spread happens here.
#include "atoll/protocols/ipcm_client.h"

#include "atoll/user/clock.h"
#include "atoll/user/syscalls.h"
#include "server_session.h"

namespace atoll_os::protocols::ipcm {
namespace {

constexpr uint64_t kLookupRetryMs = 20;

// The time left until `deadline` (0 once it has passed); kForever stays forever.
uint64_t left_until(uint64_t deadline) {
  if (deadline == abi::kForever) return abi::kForever;
  uint64_t now = user::now_ns();
  return now >= deadline ? 0 : deadline - now;
}

uint64_t deadline_after(uint64_t timeout_ns) {
  if (timeout_ns == abi::kForever) return abi::kForever;
  uint64_t now = user::now_ns();
  return timeout_ns > abi::kForever - now ? abi::kForever : now + timeout_ns;
}

Result<NameRequest> name_request(const char* name, PortId port) {
  NameRequest request{};
  size_t length = __builtin_strlen(name);
  if (length == 0 || !set_text(request.name, name, length)) return Err(Error::kInvalidArgument);
  request.port = port;
  return request;
}

}  // namespace

Result<Client> find_ipcm(uint64_t timeout_ns) {
  const uint64_t deadline = deadline_after(timeout_ns);
  for (;;) {
    Result<abi::Handle> server = look_up_server("ipcm");
    if (server.ok()) return open_session<Client>(*server);
    if (server.error() != Error::kNotFound || left_until(deadline) == 0) {
      return Err(server.error());
    }
    (void)user::sleep_ms(kLookupRetryMs);
  }
}

Result<Port> Port::create(Client& ipcm) {
  return open(ipcm, 0, 0);
}

Result<Port> Port::expect(Client& ipcm, PortId id, uint64_t epoch) {
  return open(ipcm, id, epoch);
}

Result<void> Port::move_to(uint16_t node) {
  TRY(ipcm_->port_move(MoveRequest{id_, node, 0}));
  return user::handle_close(notification_);
}

// A new port (id 0), or one expected here from another node.
Result<Port> Port::open(Client& ipcm, PortId id, uint64_t epoch) {
  Port port;
  port.ipcm_ = &ipcm;
  port.notification_ = TRY(user::notification_create());
  // ipcm gets a copy that can only signal; the program keeps the one it waits on.
  Result<abi::Handle> copy =
      user::handle_duplicate(port.notification_, abi::kRightWrite | abi::kRightTransfer);
  if (!copy.ok()) {
    (void)user::handle_close(port.notification_);
    return Err(copy.error());
  }
  HandleSet handles;
  handles.add(*copy);
  // Either call moves the copy, even on error.
  Result<PortReply> reply = id == 0 ? ipcm.port_create({}, &handles)
                            : ipcm.port_expect(MoveRequest{id, 0, epoch}, &handles).ok()
                                ? Result<PortReply>(PortReply{id})
                                : Result<PortReply>(Err(Error::kAlreadyExists));
  if (!reply.ok()) {
    (void)user::handle_close(port.notification_);
    return Err(reply.error());
  }
  port.id_ = reply->port;
  return port;
}

Result<ReceivedMessage> Port::receive(uint64_t timeout_ns) {
  const uint64_t deadline = deadline_after(timeout_ns);
  for (;;) {
    Result<ReceivedMessage> message = ipcm_->receive(PortRequest{id_});
    if (message.ok() || message.error() != Error::kBusy) return message;
    // ipcm signals kPortBit after queueing, so a message queued since the receive above has
    // left the bit set and the wait returns at once.
    uint64_t left = left_until(deadline);
    if (left == 0) return Err(Error::kTimedOut);
    TRY(user::notification_wait(notification_, left));
  }
}

Result<void> Port::close() {
  Result<Empty> closed = ipcm_->port_close(PortRequest{id_});
  (void)user::handle_close(notification_);
  notification_ = abi::kNoHandle;
  if (!closed.ok()) return Err(closed.error());
  return success();
}

Result<void> send(Client& ipcm, PortId destination, PortId reply, uint32_t label, const void* data,
                  size_t length, uint64_t busy_wait_ns) {
  if (length > kMessageMax) return Err(Error::kInvalidArgument);
  SendRequest request;
  request.destination = destination;
  request.reply = reply;
  request.label = label;
  request.length = static_cast<uint16_t>(length);
  request.reserved = 0;
  if (length > 0) __builtin_memcpy(request.data, data, length);
  const uint64_t deadline = deadline_after(busy_wait_ns);
  for (;;) {
    Result<Empty> sent = ipcm.send(request);
    if (sent.ok()) return success();
    if (sent.error() != Error::kBusy || left_until(deadline) == 0) return Err(sent.error());
    (void)user::sleep_ms(kBusyRetryMs);
  }
}

Result<ReceivedMessage> call(Client& ipcm, Port& own, PortId destination, uint32_t label,
                             const void* data, size_t length, uint64_t timeout_ns) {
  const uint64_t deadline = deadline_after(timeout_ns);
  uint64_t busy_wait = left_until(deadline);
  TRY(send(ipcm, destination, own.id(), label, data, length,
           busy_wait < kSendBusyWaitNs ? busy_wait : kSendBusyWaitNs));
  ReceivedMessage answer = TRY(own.receive(left_until(deadline)));
  // ipcm's word that the destination's node went away before taking the message.
  if (answer.label == kLabelUndeliverable) return Err(Error::kNotFound);
  return answer;
}

Result<void> register_name(Client& ipcm, const char* name, PortId port) {
  NameRequest request = TRY(name_request(name, port));
  TRY(ipcm.name_register(request));
  return success();
}

Result<PortId> lookup(Client& ipcm, const char* name, uint64_t timeout_ns) {
  NameRequest request = TRY(name_request(name, 0));
  const uint64_t deadline = deadline_after(timeout_ns);
  for (;;) {
    Result<PortReply> found = ipcm.name_lookup(request);
    if (found.ok()) return found->port;
    if (found.error() != Error::kNotFound || left_until(deadline) == 0) return Err(found.error());
    (void)user::sleep_ms(kLookupRetryMs);
  }
}

}  // namespace atoll_os::protocols::ipcm
