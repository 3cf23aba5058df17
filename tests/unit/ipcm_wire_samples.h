// One valid frame of every kind, for the codec tests and the mutation corpus.
#pragma once

#include <cstring>
#include <vector>

#include "ipcm/wire.h"

namespace atoll_os::servers::ipcm::wire {

inline Frame sample_frame(Kind kind) {
  Frame f{};
  f.header = Header{kind, 0, 3, 5, 0, 0x1122334455667788, 0x99, 0, 41};
  if (is_sequenced(kind)) f.header.sequence = 42;
  PortId port = PortId::make(5, 0x123456789a);
  switch (kind) {
    case Kind::kHello:
    case Kind::kAck: break;
    case Kind::kData:
      f.data.destination = port;
      f.data.reply = PortId::make(3, 7);
      f.data.epoch = 2;
      f.data.label = 0xdeadbeef;
      f.data.sender_node = 3;
      f.data.flags = kDataAfterMove;
      f.data.length = 5;
      std::memcpy(f.data.bytes, "hello", 5);
      break;
    case Kind::kLookup: f.lookup = Lookup{77, Name::from("echo").value()}; break;
    case Kind::kLookupReply: f.lookup_reply = LookupReply{77, Error::kOk, port}; break;
    case Kind::kRegister:
    case Kind::kUnregister: f.registration = Registration{port, Name::from("echo").value()}; break;
    case Kind::kPortMoved: f.port_moved = PortMoved{port, 4, 9}; break;
    case Kind::kPortDead: f.port_dead = PortDead{port}; break;
    case Kind::kNodeGone: f.node_gone = NodeGone{6, 1234}; break;
    case Kind::kPortFlush: f.port_flush = PortFlush{port, 3, 9}; break;
  }
  return f;
}

inline std::vector<Kind> every_kind() {
  std::vector<Kind> kinds;
  for (uint8_t k = 1; k <= kKindLast; ++k) kinds.push_back(Kind(k));
  return kinds;
}

inline std::vector<uint8_t> encoded(const Frame& frame) {
  std::vector<uint8_t> bytes(kFrameMax);
  bytes.resize(encode(frame, bytes).value());
  return bytes;
}

}  // namespace atoll_os::servers::ipcm::wire
