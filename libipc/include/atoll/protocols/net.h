// The net server protocol: UDP sockets and TCP streams for other servers and programs.
//
// A stream's data moves through pages the client grants to net: one StreamControl page,
// then the transmit ring, then the receive ring, each kStreamRingBytes. Each counter in
// StreamControl has one writer; positions are byte counts since the stream began, and a
// ring's index is the count modulo kStreamRingBytes. Net checks everything it reads there.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::net {

inline constexpr uint16_t kProtocolId = kNetProtocol;

/// The bit net signals on a socket's notification when it has news.
inline constexpr uint64_t kSocketBit = 1;

inline constexpr size_t kStreamRingBytes = 256 * 1024;
inline constexpr size_t kStreamPages = 1 + 2 * kStreamRingBytes / 4096;
inline constexpr size_t kStreamBytes = kStreamPages * 4096;
inline constexpr uint32_t kStreamVersion = 1;

enum StreamState : uint32_t {
  kStreamConnecting = 0,
  kStreamConnected = 1,
  kStreamPeerClosed = 2,  // connected, and the peer will send nothing more
  kStreamFailed = 3,      // see error and reason; nothing more moves
  kStreamClosed = 4,      // closed by the client
};

/// Page 0 of a stream's shared pages.
struct StreamControl {
  uint32_t version;  // kStreamVersion, set by the client
  uint32_t state;    // StreamState, by net
  // Written by the client.
  uint64_t tx_produced;  // bytes put in the transmit ring
  uint64_t rx_consumed;  // bytes taken from the receive ring
  // Written by net.
  uint64_t tx_acknowledged;  // bytes the peer acknowledged: ring space the client may reuse
  uint64_t rx_produced;      // bytes put in the receive ring
  int32_t error;             // atoll_os::Error when kStreamFailed
  uint32_t reserved;
  char reason[64];  // NUL-terminated, when kStreamFailed
};
static_assert(sizeof(StreamControl) == 112);

/// IPv4 addresses travel in network byte order as lwIP keeps them (10.77.0.1 is 0x01004d0a
/// read as a little-endian integer).
struct InfoReply {
  uint64_t node;
  uint32_t ip;
  uint32_t netmask;
  uint8_t mac[6];
  uint16_t mtu;
  uint64_t rx_frames;
  uint64_t tx_frames;
  uint64_t rx_dropped;  // malformed, oversized or refused frames
  uint64_t tx_dropped;  // the transmit queue was full
  uint64_t raw_rx_frames;
  uint64_t raw_rx_bytes;
  uint64_t raw_rx_first_ns;  // clock_ns of the first and last raw frame received
  uint64_t raw_rx_last_ns;
  uint64_t interrupts;
};
static_assert(sizeof(InfoReply) == 96);

struct UdpOpenRequest {
  uint16_t port;
  uint16_t reserved[3];
};
static_assert(sizeof(UdpOpenRequest) == 8);

struct SocketReply {
  uint32_t socket;
  uint16_t local_port;
  uint16_t reserved;
};
static_assert(sizeof(SocketReply) == 8);

struct SocketRequest {
  uint32_t socket;
  uint32_t reserved;
};
static_assert(sizeof(SocketRequest) == 8);

inline constexpr size_t kUdpDataMax = 400;

/// A datagram to send: the header, then `length` bytes.
struct UdpSendRequest {
  uint32_t socket;
  uint32_t ip;
  uint16_t port;
  uint16_t length;
  uint32_t reserved;
  uint8_t data[kUdpDataMax];

  static constexpr size_t kMinimumSize = 16;
  static constexpr size_t kMaximumSize = 16 + kUdpDataMax;
  size_t payload_length() const { return kMinimumSize + length; }
};
static_assert(sizeof(UdpSendRequest) == 16 + kUdpDataMax);

struct UdpDatagram {
  uint32_t ip;
  uint16_t port;
  uint16_t length;
  uint32_t truncated;  // bytes that did not fit in data
  uint32_t reserved;
  uint8_t data[kUdpDataMax];
};
static_assert(sizeof(UdpDatagram) == 16 + kUdpDataMax);

struct ListenRequest {
  uint16_t port;
  uint16_t backlog;  // connections held for tcp_accept, 1..kBacklogMax
  uint32_t reserved;
};
static_assert(sizeof(ListenRequest) == 8);
inline constexpr uint16_t kBacklogMax = 8;

struct AcceptRequest {
  uint32_t listener;
  uint32_t reserved;
  static constexpr bool kTakesGrant = true;
};
static_assert(sizeof(AcceptRequest) == 8);

struct ConnectRequest {
  uint32_t ip;
  uint16_t port;
  uint16_t reserved;
  static constexpr bool kTakesGrant = true;
};
static_assert(sizeof(ConnectRequest) == 8);

struct StreamReply {
  uint32_t stream;
  uint32_t peer_ip;
  uint16_t peer_port;
  uint16_t local_port;
  uint32_t reserved;
};
static_assert(sizeof(StreamReply) == 16);

struct PingRequest {
  uint32_t ip;
  uint32_t timeout_ms;
};
static_assert(sizeof(PingRequest) == 8);

struct PingReply {
  uint64_t rtt_ns;
};
static_assert(sizeof(PingReply) == 8);

inline constexpr uint16_t kRawEthertype = 0x88b5;  // IEEE 802 local experimental

struct RawSendRequest {
  uint8_t mac[6];
  uint16_t length;  // frame bytes, 60..1514
  uint32_t count;
  uint32_t reserved;
};
static_assert(sizeof(RawSendRequest) == 16);

struct RawSendReply {
  uint64_t frames;
  uint64_t elapsed_ns;
};
static_assert(sizeof(RawSendReply) == 16);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/net.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::net
