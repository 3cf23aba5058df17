// Encoding and bounds-checked decoding of ipcm frames.
#include "wire.h"

#include "../lib/little_endian.h"

namespace atoll_os::servers::ipcm::wire {
namespace {

// The last Error value a LOOKUP_REPLY may carry; later ones are unknown to version 1.
constexpr uint32_t kErrorLast = uint32_t(Error::kNotSupported);

using Writer = LittleEndianWriter;
using Reader = LittleEndianReader;

Result<void> reject(const char*& reason, const char* why, Error error = Error::kBadFormat) {
  reason = why;
  return Err(error);
}

bool valid_name_text(std::string_view name) {
  if (name.empty() || name.size() > kNameMax) return false;
  for (char c : name) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

// The payload length of `frame`; kInvalidArgument if its body would not decode again.
Result<size_t> payload_length(const Frame& frame) {
  switch (frame.header.kind) {
    case Kind::kHello:
    case Kind::kAck: return size_t(0);
    case Kind::kData:
      if (frame.data.length > kDataBytesMax) return Err(Error::kInvalidArgument);
      return kDataFixedSize + frame.data.length;
    case Kind::kLookup:
      if (!valid_name_text(frame.lookup.name.view())) return Err(Error::kInvalidArgument);
      return size_t(5) + frame.lookup.name.length;
    case Kind::kRegister:
    case Kind::kUnregister:
      if (!valid_name_text(frame.registration.name.view())) return Err(Error::kInvalidArgument);
      return size_t(9) + frame.registration.name.length;
    case Kind::kLookupReply: return size_t(16);
    case Kind::kPortMoved:
    case Kind::kPortFlush: return size_t(18);
    case Kind::kPortDead: return size_t(8);
    case Kind::kNodeGone: return size_t(10);
  }
  return Err(Error::kInvalidArgument);
}

void write_header(Writer& w, const Header& h, uint32_t length) {
  w.u32(kMagic);
  w.u8(kVersion);
  w.u8(uint8_t(h.kind));
  w.u16(h.flags);
  w.u16(h.sender_node);
  w.u16(h.receiver_node);
  w.u32(length);
  w.u64(h.sender_incarnation);
  w.u64(h.receiver_incarnation);
  w.u64(h.sequence);
  w.u64(h.ack);
}

void write_name(Writer& w, const Name& name) {
  w.u8(name.length);
  w.bytes(name.text, name.length);
}

void write_body(Writer& w, const Frame& f) {
  switch (f.header.kind) {
    case Kind::kHello:
    case Kind::kAck: return;
    case Kind::kData:
      w.u64(f.data.destination.value);
      w.u64(f.data.reply.value);
      w.u64(f.data.epoch);
      w.u32(f.data.label);
      w.u16(f.data.sender_node);
      w.u16(f.data.flags);
      w.u16(f.data.length);
      w.bytes(f.data.bytes, f.data.length);
      return;
    case Kind::kLookup:
      w.u32(f.lookup.request);
      write_name(w, f.lookup.name);
      return;
    case Kind::kLookupReply:
      w.u32(f.lookup_reply.request);
      w.u32(uint32_t(f.lookup_reply.status));
      w.u64(f.lookup_reply.port.value);
      return;
    case Kind::kRegister:
    case Kind::kUnregister:
      w.u64(f.registration.port.value);
      write_name(w, f.registration.name);
      return;
    case Kind::kPortMoved:
      w.u64(f.port_moved.port.value);
      w.u16(f.port_moved.node);
      w.u64(f.port_moved.epoch);
      return;
    case Kind::kPortDead: w.u64(f.port_dead.port.value); return;
    case Kind::kNodeGone:
      w.u16(f.node_gone.node);
      w.u64(f.node_gone.incarnation);
      return;
    case Kind::kPortFlush:
      w.u64(f.port_flush.port.value);
      w.u16(f.port_flush.sender_node);
      w.u64(f.port_flush.epoch);
      return;
  }
}

Result<void> read_name(Reader& r, Name& name, const char*& reason) {
  name = Name{};
  name.length = r.u8();
  if (name.length == 0 || name.length > kNameMax) return reject(reason, "name length out of range");
  r.bytes(name.text, name.length);
  if (r.ok() && !valid_name_text(name.view())) return reject(reason, "name has a bad character");
  return success();
}

Result<void> check_port(PortId port, const char*& reason) {
  if (!port.valid()) return reject(reason, "port id with serial 0");
  return success();
}

Result<void> read_data(Reader& r, Data& d, size_t payload, const char*& reason) {
  d.destination = PortId{r.u64()};
  d.reply = PortId{r.u64()};
  d.epoch = r.u64();
  d.label = r.u32();
  d.sender_node = r.u16();
  d.flags = r.u16();
  d.length = r.u16();
  if (d.length > kDataBytesMax) return reject(reason, "data body too long");
  if (kDataFixedSize + d.length != payload) {
    return reject(reason, "data length disagrees with payload length");
  }
  r.bytes(d.bytes, d.length);
  TRY(check_port(d.destination, reason));
  if (d.reply.value != 0) TRY(check_port(d.reply, reason));
  if ((d.flags & ~kDataFlagsKnown) != 0) return reject(reason, "unknown data flags");
  return success();
}

Result<void> read_lookup_reply(Reader& r, LookupReply& l, const char*& reason) {
  l.request = r.u32();
  uint32_t status = r.u32();
  l.port = PortId{r.u64()};
  if (status > kErrorLast) return reject(reason, "unknown lookup status");
  l.status = Error(status);
  if (l.status == Error::kOk) return check_port(l.port, reason);
  if (l.port.value != 0) return reject(reason, "failed lookup names a port");
  return success();
}

Result<void> read_body(Reader& r, Frame& f, const char*& reason) {
  switch (f.header.kind) {
    case Kind::kHello:
    case Kind::kAck: return success();
    case Kind::kData: return read_data(r, f.data, f.header.payload_length, reason);
    case Kind::kLookup: f.lookup.request = r.u32(); return read_name(r, f.lookup.name, reason);
    case Kind::kLookupReply: return read_lookup_reply(r, f.lookup_reply, reason);
    case Kind::kRegister:
    case Kind::kUnregister:
      f.registration.port = PortId{r.u64()};
      TRY(read_name(r, f.registration.name, reason));
      return check_port(f.registration.port, reason);
    case Kind::kPortMoved:
      f.port_moved = PortMoved{PortId{r.u64()}, r.u16(), r.u64()};
      return check_port(f.port_moved.port, reason);
    case Kind::kPortDead:
      f.port_dead.port = PortId{r.u64()};
      return check_port(f.port_dead.port, reason);
    case Kind::kNodeGone: f.node_gone = NodeGone{r.u16(), r.u64()}; return success();
    case Kind::kPortFlush:
      f.port_flush = PortFlush{PortId{r.u64()}, r.u16(), r.u64()};
      return check_port(f.port_flush.port, reason);
  }
  return reject(reason, "unknown kind");
}

Result<void> check_sequence(const Header& h, const char*& reason) {
  if (is_sequenced(h.kind) && h.sequence == 0) return reject(reason, "sequenced kind numbered 0");
  if (!is_sequenced(h.kind) && h.sequence != 0) return reject(reason, "unsequenced kind numbered");
  return success();
}

}  // namespace

Result<Name> Name::from(std::string_view name) {
  if (!valid_name_text(name)) return Err(Error::kInvalidArgument);
  Name out{};
  out.length = uint8_t(name.size());
  __builtin_memcpy(out.text, name.data(), name.size());
  return out;
}

Result<size_t> encode(const Frame& frame, std::span<uint8_t> out) {
  if (uint8_t(frame.header.kind) == 0 || uint8_t(frame.header.kind) > kKindLast) {
    return Err(Error::kInvalidArgument);
  }
  size_t length = TRY(payload_length(frame));
  if (out.size() < kHeaderSize + length) return Err(Error::kOutOfRange);
  Writer w(out.data());
  write_header(w, frame.header, uint32_t(length));
  write_body(w, frame);
  return w.used();
}

Result<void> decode_header(std::span<const uint8_t> bytes, Header& out, const char*& reason) {
  if (bytes.size() < kHeaderSize) return reject(reason, "header truncated", Error::kTruncated);
  Reader r(bytes);
  if (r.u32() != kMagic) return reject(reason, "bad magic");
  if (r.u8() != kVersion) return reject(reason, "unknown version");
  uint8_t kind = r.u8();
  if (kind == 0 || kind > kKindLast) return reject(reason, "unknown kind");
  out.kind = Kind(kind);
  out.flags = r.u16();
  out.sender_node = r.u16();
  out.receiver_node = r.u16();
  out.payload_length = r.u32();
  out.sender_incarnation = r.u64();
  out.receiver_incarnation = r.u64();
  out.sequence = r.u64();
  out.ack = r.u64();
  if (out.flags != 0) return reject(reason, "reserved flags set");
  if (out.payload_length > kPayloadMax) return reject(reason, "payload length over the maximum");
  return check_sequence(out, reason);
}

Result<void> decode(std::span<const uint8_t> bytes, Frame& out, const char*& reason) {
  TRY(decode_header(bytes, out.header, reason));
  size_t end = kHeaderSize + out.header.payload_length;
  if (bytes.size() < end) return reject(reason, "payload truncated", Error::kTruncated);
  if (bytes.size() > end) return reject(reason, "trailing bytes after the frame");
  Reader r(bytes.subspan(kHeaderSize));
  Result<void> body = read_body(r, out, reason);
  // A short payload reads as zeros, which may break a rule first: name the real cause.
  if (!r.ok()) return reject(reason, "payload shorter than its kind needs");
  if (!body.ok()) return body;
  if (r.remaining() != 0) return reject(reason, "payload longer than its kind needs");
  return success();
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kHello: return "hello";
    case Kind::kData: return "data";
    case Kind::kAck: return "ack";
    case Kind::kLookup: return "lookup";
    case Kind::kLookupReply: return "lookup_reply";
    case Kind::kRegister: return "register";
    case Kind::kUnregister: return "unregister";
    case Kind::kPortMoved: return "port_moved";
    case Kind::kPortDead: return "port_dead";
    case Kind::kNodeGone: return "node_gone";
    case Kind::kPortFlush: return "port_flush";
  }
  return "?";
}

}  // namespace atoll_os::servers::ipcm::wire
