// Ports, sends and names over a session with this node's ipcm. No ipcm operation blocks:
// the waiting for messages, for a busy link and for a name to spread happens here.
#include "atoll/protocols/ipcm_client.h"

#include "atoll/user/clock.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "server_session.h"

namespace atoll_os::protocols::ipcm {
namespace {

constexpr uint64_t kLookupRetryMs = 20;
/// A port without a direct path (remote, or its owner takes none) is asked again after
/// this many calls: it may have moved here since.
constexpr uint32_t kDirectRetryCalls = 64;

/// An open direct path to a port of this node, or (endpoint 0) a port that had none.
struct DirectPath {
  PortId port = 0;
  abi::Handle endpoint = abi::kNoHandle;
  abi::Handle signal = abi::kNoHandle;
  uint32_t retry_in = 0;  // without a path: calls until asking ipcm again
  uint64_t last_used = 0;
};

DirectPath g_paths[kDirectPathsMax];
uint64_t g_path_clock = 0;
bool g_direct_enabled = true;
// The direct call this program received and has not answered yet (one: programs that
// receive on several threads answer before they receive again on any).
bool g_unanswered = false;
PortId g_unanswered_reply = 0;

void close_path(DirectPath& path) {
  if (path.endpoint != abi::kNoHandle) (void)user::handle_close(path.endpoint);
  if (path.signal != abi::kNoHandle) (void)user::handle_close(path.signal);
  path.endpoint = abi::kNoHandle;
  path.signal = abi::kNoHandle;
  path.retry_in = kDirectRetryCalls;
}

DirectPath* find_path(PortId port) {
  for (DirectPath& path : g_paths) {
    if (path.port == port && port != 0) return &path;
  }
  return nullptr;
}

// A free entry, or the least recently used one (closed first).
DirectPath& claim_path(PortId port) {
  DirectPath* victim = &g_paths[0];
  for (DirectPath& path : g_paths) {
    if (path.port == 0) {
      victim = &path;
      break;
    }
    if (path.last_used < victim->last_used) victim = &path;
  }
  close_path(*victim);
  *victim = DirectPath{port};
  return *victim;
}

// The open direct path to `port`, asking ipcm for one when there is none yet (or again,
// every kDirectRetryCalls calls); nullptr: go through ipcm.
DirectPath* direct_path(Client& ipcm, PortId port) {
  if (!g_direct_enabled) return nullptr;
  DirectPath* path = find_path(port);
  if (path != nullptr && path->endpoint == abi::kNoHandle && --path->retry_in > 0) {
    return nullptr;
  }
  if (path == nullptr) path = &claim_path(port);
  path->last_used = ++g_path_clock;
  if (path->endpoint != abi::kNoHandle) return path;
  HandleSet handles;
  if (!ipcm.direct_open(PortRequest{port}, &handles).ok() || handles.count != 2) {
    close_path(*path);
    return nullptr;
  }
  path->endpoint = handles.take(0);
  path->signal = handles.take(1);
  return path;
}

// A call on the direct path. kBadHandle: the path is gone (revoked, or the port no longer
// takes direct calls) and nothing was delivered: the caller goes through ipcm instead.
Result<ReceivedMessage> call_direct(DirectPath& path, PortId own, PortId destination,
                                    uint32_t label, const void* data, size_t length) {
  abi::Message message{};
  message.header.label = kLabelDirectCall;
  auto* request = reinterpret_cast<SendRequest*>(message.payload);
  request->destination = destination;
  request->reply = own;
  request->label = label;
  request->length = static_cast<uint16_t>(length);
  if (length > 0) __builtin_memcpy(request->data, data, length);
  message.header.length = static_cast<uint32_t>(request->payload_length());
  if (!user::notification_signal(path.signal, kDirectBit).ok()) return Err(Error::kBadHandle);
  if (Result<void> called = user::ipc_call(path.endpoint, message); !called.ok()) {
    return Err(called.error());
  }
  if (message.header.label == kLabelDirectRetry) return Err(Error::kBadHandle);
  if (message.header.label == kLabelDirectNoAnswer) return Err(Error::kTimedOut);
  if (message.header.label != kLabelDirectReply || message.header.length < 24 ||
      message.header.length > sizeof(ReceivedMessage)) {
    return Err(Error::kBadFormat);
  }
  ReceivedMessage answer{};
  __builtin_memcpy(&answer, message.payload, message.header.length);
  if (answer.length > kMessageMax || 24u + answer.length != message.header.length) {
    return Err(Error::kBadFormat);
  }
  return answer;
}

// Answers the direct call this program holds, with `label` and `answer` (may be null).
void answer_direct(uint64_t label, const ReceivedMessage* answer) {
  abi::Message message{};
  message.header.label = label;
  if (answer != nullptr) {
    message.header.length = 24u + answer->length;
    __builtin_memcpy(message.payload, answer, message.header.length);
  }
  (void)user::ipc_reply(message);
  g_unanswered = false;
  g_unanswered_reply = 0;
}

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
  refuse_direct_calls();
  return user::handle_close(notification_);
}

// ipcm has revoked the direct path: callers already waiting at the endpoint are told to go
// through ipcm, which now knows where the port is.
void Port::refuse_direct_calls() {
  if (direct_ == abi::kNoHandle) return;
  abi::Message message{};
  while (user::ipc_recv(direct_, message, user::kPoll).ok()) {
    g_unanswered = true;
    answer_direct(kLabelDirectRetry, nullptr);
  }
  (void)user::handle_close(direct_);
  direct_ = abi::kNoHandle;
}

// A direct call waiting at the endpoint, as a received message; kBusy if none is.
Result<ReceivedMessage> Port::take_direct_call() {
  if (direct_ == abi::kNoHandle) return Err(Error::kBusy);
  if (g_unanswered) answer_direct(kLabelDirectNoAnswer, nullptr);
  abi::Message message{};
  if (!user::ipc_recv(direct_, message, user::kPoll).ok()) return Err(Error::kBusy);
  g_unanswered = true;
  const auto* request = reinterpret_cast<const SendRequest*>(message.payload);
  bool valid = message.header.label == kLabelDirectCall &&
               message.header.length >= SendRequest::kMinimumSize &&
               request->length <= kMessageMax && message.header.length == request->payload_length();
  if (!valid) {
    answer_direct(kLabelDirectRetry, nullptr);  // not a direct call: let ipcm judge it
    return Err(Error::kBusy);
  }
  ReceivedMessage out{};
  out.port = id_;
  out.reply = request->reply;
  out.label = request->label;
  out.length = request->length;
  out.sender_node = static_cast<uint16_t>(user::process_start().node);
  __builtin_memcpy(out.data, request->data, request->length);
  g_unanswered_reply = request->reply;
  return out;
}

// A new port (id 0), or one expected here from another node.
Result<Port> Port::open(Client& ipcm, PortId id, uint64_t epoch) {
  Port port;
  port.ipcm_ = &ipcm;
  port.notification_ = TRY(user::notification_create());
  // ipcm gets copies that can only signal and send, which it copies on for direct callers;
  // the program keeps the ones it waits and receives on.
  constexpr uint32_t kCopyRights = abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer;
  Result<abi::Handle> copy = user::handle_duplicate(port.notification_, kCopyRights);
  if (!copy.ok()) {
    (void)user::handle_close(port.notification_);
    return Err(copy.error());
  }
  HandleSet handles;
  handles.add(*copy);
  if (Result<abi::Handle> direct = user::endpoint_create(); direct.ok()) {
    Result<abi::Handle> direct_copy = user::handle_duplicate(*direct, kCopyRights);
    if (direct_copy.ok()) {
      port.direct_ = *direct;
      handles.add(*direct_copy);
    } else {
      (void)user::handle_close(*direct);  // the port works without the direct path
    }
  }
  // Either call moves the copies, even on error.
  Result<PortReply> reply = id == 0 ? ipcm.port_create({}, &handles)
                            : ipcm.port_expect(MoveRequest{id, 0, epoch}, &handles).ok()
                                ? Result<PortReply>(PortReply{id})
                                : Result<PortReply>(Err(Error::kAlreadyExists));
  if (!reply.ok()) {
    (void)user::handle_close(port.notification_);
    if (port.direct_ != abi::kNoHandle) (void)user::handle_close(port.direct_);
    return Err(reply.error());
  }
  port.id_ = reply->port;
  return port;
}

Result<ReceivedMessage> Port::receive(uint64_t timeout_ns) {
  const uint64_t deadline = deadline_after(timeout_ns);
  for (;;) {
    // The endpoint is polled only after a direct caller signalled: a receive there would
    // drop the reply this thread may owe to a call of its own (the kernel keeps one).
    if (direct_signalled_) {
      Result<ReceivedMessage> direct = take_direct_call();
      if (direct.ok()) return direct;  // more callers may wait: poll again next time
      direct_signalled_ = false;
    }
    Result<ReceivedMessage> message = ipcm_->receive(PortRequest{id_});
    if (message.ok() || message.error() != Error::kBusy) return message;
    // ipcm signals kPortBit after queueing, and a direct caller kDirectBit before it calls,
    // so whatever came since the tries above has left a bit set and the wait returns at once.
    uint64_t left = left_until(deadline);
    if (left == 0) return Err(Error::kTimedOut);
    uint64_t bits = TRY(user::notification_wait(notification_, left));
    if (bits & kDirectBit) direct_signalled_ = true;
  }
}

Result<void> Port::close() {
  Result<Empty> closed = ipcm_->port_close(PortRequest{id_});
  refuse_direct_calls();
  (void)user::handle_close(notification_);
  notification_ = abi::kNoHandle;
  if (!closed.ok()) return Err(closed.error());
  return success();
}

Result<void> send(Client& ipcm, PortId destination, PortId reply, uint32_t label, const void* data,
                  size_t length, uint64_t busy_wait_ns) {
  if (length > kMessageMax) return Err(Error::kInvalidArgument);
  if (g_unanswered && reply == 0 && destination == g_unanswered_reply && destination != 0) {
    ReceivedMessage answer{};
    answer.port = destination;
    answer.label = label;
    answer.length = static_cast<uint16_t>(length);
    answer.sender_node = static_cast<uint16_t>(user::process_start().node);
    if (length > 0) __builtin_memcpy(answer.data, data, length);
    answer_direct(kLabelDirectReply, &answer);
    return success();
  }
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
  if (length > kMessageMax) return Err(Error::kInvalidArgument);
  if (DirectPath* path = direct_path(ipcm, destination); path != nullptr) {
    Result<ReceivedMessage> answer = call_direct(*path, own.id(), destination, label, data, length);
    if (answer.ok() || answer.error() != Error::kBadHandle) return answer;
    close_path(*path);  // revoked: the port moved or closed; ipcm knows where it is
  }
  const uint64_t deadline = deadline_after(timeout_ns);
  uint64_t busy_wait = left_until(deadline);
  TRY(send(ipcm, destination, own.id(), label, data, length,
           busy_wait < kSendBusyWaitNs ? busy_wait : kSendBusyWaitNs));
  ReceivedMessage answer = TRY(own.receive(left_until(deadline)));
  // ipcm's word that the destination's node went away before taking the message.
  if (answer.label == kLabelUndeliverable) return Err(Error::kNotFound);
  return answer;
}

bool has_direct_path(PortId destination) {
  const DirectPath* path = find_path(destination);
  return path != nullptr && path->endpoint != abi::kNoHandle;
}

void use_direct_paths(bool enabled) {
  g_direct_enabled = enabled;
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
