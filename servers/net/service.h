// The net protocol's handler: checks each request, takes the server's lock, and calls the
// sockets, the link or the pinger. One instance serves every receiving thread.
#pragma once

#include "atoll/protocols/net.h"
#include "atoll/user/lock.h"
#include "ethernet_interface.h"
#include "grant_windows.h"
#include "link.h"
#include "pinger.h"
#include "sockets.h"

namespace atoll_os::servers::net {

/// Everything the server's threads share; `lock` guards all of it (and lwIP).
struct NetState {
  user::YieldingLock lock;
  VirtioNet device;
  EthernetInterface interface;
  Link link{device, interface};
  GrantWindows windows;
  Sockets sockets{windows};
  Pinger pinger;
  uint64_t node = 0;
  NetConfig config;
  abi::Handle wakeup = abi::kNoHandle;  // the device thread's notification
  abi::Handle irq = abi::kNoHandle;
  abi::Handle endpoint = abi::kNoHandle;  // net's own, to mint session handles from
  uint64_t sessions = 0;                  // badges handed out so far
};

class NetService {
 public:
  explicit NetService(NetState& state) : state_(state) {}

  using Call = protocols::Call;
  Result<protocols::net::InfoReply> info(const protocols::Empty&, Call& call);
  Result<protocols::Empty> open_session(const protocols::Empty&, Call& call);
  Result<protocols::net::SocketReply> udp_open(const protocols::net::UdpOpenRequest& r, Call& call);
  Result<protocols::Empty> udp_send(const protocols::net::UdpSendRequest& r, Call& call);
  Result<protocols::net::UdpDatagram> udp_receive(const protocols::net::SocketRequest& r,
                                                  Call& call);
  Result<protocols::net::SocketReply> tcp_listen(const protocols::net::ListenRequest& r,
                                                 Call& call);
  Result<protocols::net::StreamReply> tcp_accept(const protocols::net::AcceptRequest& r,
                                                 Call& call);
  Result<protocols::net::StreamReply> tcp_connect(const protocols::net::ConnectRequest& r,
                                                  Call& call);
  Result<protocols::Empty> stream_update(const protocols::net::SocketRequest& r, Call& call);
  Result<protocols::Empty> close(const protocols::net::SocketRequest& r, Call& call);
  Result<protocols::net::PingReply> ping(const protocols::net::PingRequest& r, Call& call);
  Result<protocols::net::RawSendReply> raw_send(const protocols::net::RawSendRequest& r,
                                                Call& call);

 private:
  NetState& state_;
};

}  // namespace atoll_os::servers::net
