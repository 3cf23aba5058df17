// The ipcm-to-ipcm wire format: a versioned, little-endian frame of header + payload.
//
// Every field is written byte by byte at a fixed offset (docs/ipcm.md has the table); no struct
// is ever copied to or from the wire, so padding and host byte order never leak into it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>
#include <string_view>

#include "atoll/error.h"
#include "atoll/result.h"
#include "port_id.h"

namespace atoll_os::servers::ipcm::wire {

inline constexpr uint32_t kMagic = 0x43504941;  // "AIPC" in wire (little-endian) order
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHeaderSize = 48;
/// A message body carries as much as one kernel IPC message (abi::kMessagePayloadMax).
inline constexpr size_t kDataBytesMax = 448;
/// Registry names: 1..31 printable ASCII characters, as in the local name service.
inline constexpr size_t kNameMax = 31;

enum class Kind : uint8_t {
  kHello = 1,        // peer introduction: incarnations and how far the peer's stream arrived
  kData = 2,         // a message to a port
  kAck = 3,          // nothing but the header's ack number
  kLookup = 4,       // registry: which port has this name?
  kLookupReply = 5,  // registry: the answer to a lookup
  kRegister = 6,     // registry: bind a name to a port
  kUnregister = 7,   // registry: unbind it
  kPortMoved = 8,    // a port now lives at another node, from an epoch on
  kPortDead = 9,     // a port is closed; messages to it are dropped
  kNodeGone = 10,    // a node left the cluster (one incarnation of it)
  kPortFlush = 11,   // a sender's last word on the old path of a moved port (docs/ipcm.md)
};
inline constexpr uint8_t kKindLast = uint8_t(Kind::kPortFlush);

/// HELLO and ACK are not numbered; every other kind is carried exactly once, in order.
constexpr bool is_sequenced(Kind kind) {
  return kind != Kind::kHello && kind != Kind::kAck;
}

struct Header {
  Kind kind;
  uint16_t flags;  // no flag is defined in version 1: must be 0
  uint16_t sender_node;
  uint16_t receiver_node;
  uint32_t payload_length;        // set by encode() from the body
  uint64_t sender_incarnation;    // the sender's boot id: grows with every boot
  uint64_t receiver_incarnation;  // the receiver's boot id as the sender knows it; 0 unknown
  uint64_t sequence;  // 1, 2, ... per (sender, receiver) incarnation pair; 0 if unsequenced
  uint64_t ack;       // the receiver's stream is delivered through this number
};

/// Bits of Data::flags.
inline constexpr uint16_t kDataAfterMove = 1;  // sent straight to a port's new node
inline constexpr uint16_t kDataFlagsKnown = kDataAfterMove;

struct Data {
  PortId destination;
  PortId reply;    // none() when the sender expects no answer
  uint64_t epoch;  // the epoch of the location the sender addressed
  uint32_t label;
  uint16_t sender_node;  // the node that first sent it; forwarding keeps it
  uint16_t flags;
  uint16_t length;
  uint8_t bytes[kDataBytesMax];
};

struct Name {
  uint8_t length;
  char text[kNameMax];

  std::string_view view() const { return {text, length}; }
  /// kInvalidArgument unless `name` is 1..kNameMax printable characters without space.
  static Result<Name> from(std::string_view name);
};

struct Lookup {
  uint32_t request;
  Name name;
};
struct LookupReply {
  uint32_t request;
  Error status;  // kOk, or why there is no port
  PortId port;
};
struct Registration {  // REGISTER and UNREGISTER
  PortId port;
  Name name;
};
struct PortMoved {
  PortId port;
  uint16_t node;
  uint64_t epoch;
};
struct PortDead {
  PortId port;
};
struct NodeGone {
  uint16_t node;
  uint64_t incarnation;
};
struct PortFlush {
  PortId port;
  uint16_t sender_node;
  uint64_t epoch;  // the epoch the sender switched to
};

/// One decoded frame. Only the body named by header.kind is meaningful.
struct Frame {
  Header header;
  Data data;
  Lookup lookup;
  LookupReply lookup_reply;
  Registration registration;
  PortMoved port_moved;
  PortDead port_dead;
  NodeGone node_gone;
  PortFlush port_flush;
};

/// DATA's fields before its bytes.
inline constexpr size_t kDataFixedSize = 34;
/// The largest payload of any kind (DATA with a full body), and so of any frame.
inline constexpr size_t kPayloadMax = kDataFixedSize + kDataBytesMax;
inline constexpr size_t kFrameMax = kHeaderSize + kPayloadMax;

/// Writes `frame` into `out`; returns the bytes used. kOutOfRange if `out` is too small,
/// kInvalidArgument if the frame could not be decoded again (bad kind, length or name).
Result<size_t> encode(const Frame& frame, std::span<uint8_t> out);

/// Decodes exactly one frame from `bytes`, never reading outside it. On failure `reason`
/// names the broken rule: kTruncated if bytes end early, kBadFormat for everything else
/// (magic, version, kind, flags, lengths, names, ids, trailing bytes).
Result<void> decode(std::span<const uint8_t> bytes, Frame& out, const char*& reason);

/// Decodes and checks a header alone (what a stream framer needs to find the frame's end).
Result<void> decode_header(std::span<const uint8_t> bytes, Header& out, const char*& reason);

/// A short name of a kind for logs, "?" if unknown.
const char* kind_name(Kind kind);

}  // namespace atoll_os::servers::ipcm::wire
