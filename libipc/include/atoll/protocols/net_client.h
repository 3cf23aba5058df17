// The client side of the net protocol for programs and servers: finding the net server,
// UDP sockets, and TCP streams whose data moves through shared pages (see net.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/net.h"
#include "atoll/result.h"

namespace atoll_os::protocols::net {

/// A session with the net server (looked up in the name service); kNotFound if no net runs.
Result<Client> find_net_server();

/// "A.B.C.D" → the address in network byte order (as net.h carries it); kBadFormat.
Result<uint32_t> parse_ipv4(const char* text);

/// A UDP socket and the notification net signals when a datagram arrives.
class UdpSocket {
 public:
  /// Binds `port` (0: any).
  static Result<UdpSocket> open(Client& net, uint16_t port);
  Result<void> send_to(uint32_t ip, uint16_t port, const void* data, size_t length);
  /// The next datagram, waiting up to timeout_ns; kTimedOut if none came.
  Result<UdpDatagram> receive(uint64_t timeout_ns);
  Result<void> close();
  uint16_t local_port() const { return local_port_; }

 private:
  Client* net_ = nullptr;
  uint32_t socket_ = 0;
  uint16_t local_port_ = 0;
  abi::Handle notification_ = abi::kNoHandle;
};

/// A TCP listener: accept() returns connected streams.
class Listener;

/// One TCP connection. Its pages are allocated once and kept by the program after close()
/// unless net confirmed it holds no reference to them (everything acknowledged).
class Stream {
 public:
  static Result<Stream*> connect(Client& net, uint32_t ip, uint16_t port);
  /// Waits until connected; the stream's error (kNotFound: refused or reset, kTimedOut: no
  /// answer) otherwise, with reason() saying why.
  Result<void> wait_connected(uint64_t timeout_ns);
  /// Writes all of `data`, waiting for ring space as long as the stream makes progress
  /// within `idle_timeout_ns`.
  Result<void> write(const void* data, size_t length, uint64_t idle_timeout_ns);
  /// Reads what has arrived, up to `capacity` bytes, waiting up to `timeout_ns` for the first
  /// byte; 0 when the peer has closed its side.
  Result<size_t> read(void* out, size_t capacity, uint64_t timeout_ns);
  /// Waits until the peer has acknowledged everything written, up to timeout_ns.
  Result<void> flush(uint64_t timeout_ns);
  /// Flushes (up to timeout_ns), then closes; the Stream is deleted.
  Result<void> close(uint64_t timeout_ns);
  const char* reason() const { return reason_; }
  uint32_t peer_ip() const { return peer_ip_; }

 private:
  friend class Listener;
  static Result<Stream*> create();
  Result<void> check_failed();
  Result<void> update();
  Result<void> wait(uint64_t timeout_ns);

  Client* net_ = nullptr;
  uint32_t id_ = 0;
  uint32_t peer_ip_ = 0;
  abi::Handle notification_ = abi::kNoHandle;
  uint8_t* pages_ = nullptr;
  void* allocation_ = nullptr;
  StreamControl* control_ = nullptr;
  uint8_t* tx_ring_ = nullptr;
  uint8_t* rx_ring_ = nullptr;
  uint64_t tx_produced_ = 0;
  uint64_t rx_consumed_ = 0;
  uint64_t rx_reported_ = 0;
  char reason_[64] = {};
};

class Listener {
 public:
  static Result<Listener> listen(Client& net, uint16_t port, uint16_t backlog);
  /// The next connection, waiting up to timeout_ns.
  Result<Stream*> accept(uint64_t timeout_ns);
  Result<void> close();

 private:
  Client* net_ = nullptr;
  uint32_t socket_ = 0;
  abi::Handle notification_ = abi::kNoHandle;
};

}  // namespace atoll_os::protocols::net
