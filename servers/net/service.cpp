// Each handler holds the lock for its whole body except ping's wait.
#include "service.h"

#include "../lib/sessions.h"

namespace atoll_os::servers::net {
namespace {

using protocols::Empty;
using user::LockGuard;
namespace wire = protocols::net;

// The notification moved with a request; it stays in the call (and is closed by the loop)
// unless the operation succeeds and keeps it.
abi::Handle notification_of(protocols::Call& call) {
  return call.received.values[0];
}

template <typename T>
Result<T> keep_notification_if(Result<T> result, protocols::Call& call, const char* why) {
  if (result.ok()) {
    call.received.take(0);
    return result;
  }
  return call.fail(result.error(), why);
}

// The stream's pages as the request granted them; kInvalidArgument unless writable.
Result<StreamPages> stream_pages(protocols::Call& call) {
  if (call.grant.length == 0 || !call.grant.writable) {
    return call.fail(Error::kInvalidArgument,
                     "a stream needs kStreamPages pages granted writable with the request");
  }
  return StreamPages{call.grant.address, call.grant.length};
}

}  // namespace

Result<Empty> NetService::open_session(const Empty&, Call& call) {
  LockGuard guard(state_.lock);
  return servers::open_session(state_.endpoint, &state_.sessions, call);
}

Result<wire::InfoReply> NetService::info(const Empty&, Call&) {
  LockGuard guard(state_.lock);
  wire::InfoReply reply{};
  reply.node = state_.node;
  const NetConfig& config = state_.config;
  std::array<uint8_t, 4> netmask = config.netmask();
  __builtin_memcpy(&reply.ip, config.ip.data(), 4);  // network byte order, as the wire has it
  __builtin_memcpy(&reply.netmask, netmask.data(), 4);
  __builtin_memcpy(reply.mac, config.mac.data(), 6);
  reply.mtu = 1500;
  const VirtioNetCounters& device = state_.device.counters();
  const InterfaceCounters& interface = state_.interface.counters();
  reply.rx_frames = device.rx_frames;
  reply.tx_frames = device.tx_frames;
  reply.rx_dropped = device.rx_dropped + interface.rx_dropped_runt + interface.rx_dropped_oversize +
                     interface.rx_dropped_refused + interface.rx_dropped_no_buffer;
  reply.tx_dropped = device.tx_full;
  reply.raw_rx_frames = state_.link.raw().frames;
  reply.raw_rx_bytes = state_.link.raw().bytes;
  reply.raw_rx_first_ns = state_.link.raw().first_ns;
  reply.raw_rx_last_ns = state_.link.raw().last_ns;
  reply.interrupts = device.interrupts;
  return reply;
}

Result<wire::SocketReply> NetService::udp_open(const wire::UdpOpenRequest& r, Call& call) {
  TRY(require_session(call));
  LockGuard guard(state_.lock);
  const char* why = "";
  auto result = state_.sockets.udp_open(call.badge, r.port, notification_of(call), &why);
  return keep_notification_if(result, call, why);
}

Result<Empty> NetService::udp_send(const wire::UdpSendRequest& r, Call& call) {
  TRY(require_session(call));
  if (call.length != wire::UdpSendRequest::kMinimumSize + r.length) {
    return call.fail(Error::kInvalidArgument, "the datagram length does not match the payload");
  }
  LockGuard guard(state_.lock);
  const char* why = "";
  Result<void> sent = state_.sockets.udp_send(call.badge, r, &why);
  if (!sent.ok()) return call.fail(sent.error(), why);
  return Empty{};
}

Result<wire::UdpDatagram> NetService::udp_receive(const wire::SocketRequest& r, Call& call) {
  LockGuard guard(state_.lock);
  const char* why = "";
  auto result = state_.sockets.udp_receive(call.badge, r.socket, &why);
  if (!result.ok()) return call.fail(result.error(), why);
  return result;
}

Result<wire::SocketReply> NetService::tcp_listen(const wire::ListenRequest& r, Call& call) {
  TRY(require_session(call));
  LockGuard guard(state_.lock);
  const char* why = "";
  auto result = state_.sockets.listen(call.badge, r.port, r.backlog, notification_of(call), &why);
  return keep_notification_if(result, call, why);
}

Result<wire::StreamReply> NetService::tcp_accept(const wire::AcceptRequest& r, Call& call) {
  TRY(require_session(call));
  StreamPages pages = TRY(stream_pages(call));
  LockGuard guard(state_.lock);
  const char* why = "";
  auto result = state_.sockets.accept(call.badge, r.listener, pages, notification_of(call), &why);
  if (result.ok()) call.grant.length = 0;  // the stream keeps the pages
  return keep_notification_if(result, call, why);
}

Result<wire::StreamReply> NetService::tcp_connect(const wire::ConnectRequest& r, Call& call) {
  TRY(require_session(call));
  StreamPages pages = TRY(stream_pages(call));
  LockGuard guard(state_.lock);
  const char* why = "";
  auto result =
      state_.sockets.connect(call.badge, r.ip, r.port, pages, notification_of(call), &why);
  if (result.ok()) call.grant.length = 0;
  return keep_notification_if(result, call, why);
}

Result<Empty> NetService::stream_update(const wire::SocketRequest& r, Call& call) {
  LockGuard guard(state_.lock);
  const char* why = "";
  Result<void> updated = state_.sockets.stream_update(call.badge, r.socket, &why);
  if (!updated.ok()) return call.fail(updated.error(), why);
  return Empty{};
}

Result<Empty> NetService::close(const wire::SocketRequest& r, Call& call) {
  LockGuard guard(state_.lock);
  const char* why = "";
  Result<void> closed = state_.sockets.close(call.badge, r.socket, &why);
  if (!closed.ok()) return call.fail(closed.error(), why);
  return Empty{};
}

Result<wire::PingReply> NetService::ping(const wire::PingRequest& r, Call& call) {
  if (r.timeout_ms == 0 || r.timeout_ms > 10'000) {
    return call.fail(Error::kInvalidArgument, "the timeout must be from 1 to 10000 ms");
  }
  {
    LockGuard guard(state_.lock);
    Result<void> sent = state_.pinger.send(r.ip);
    if (!sent.ok()) {
      return call.fail(sent.error(), sent.error() == Error::kBusy ? "another ping is waiting"
                                                                  : "no route to the address");
    }
  }
  state_.pinger.wait(uint64_t{r.timeout_ms} * 1'000'000);
  LockGuard guard(state_.lock);
  Result<uint64_t> rtt = state_.pinger.finish();
  if (!rtt.ok()) return call.fail(Error::kTimedOut, "no echo reply within the timeout");
  return wire::PingReply{*rtt};
}

Result<wire::RawSendReply> NetService::raw_send(const wire::RawSendRequest& r, Call& call) {
  LockGuard guard(state_.lock);
  auto result = state_.link.raw_send(r);
  if (!result.ok()) return call.fail(result.error(), "frame length must be from 60 to 1514");
  return result;
}

}  // namespace atoll_os::servers::net
