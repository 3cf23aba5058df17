// Encoding and bounds-checked decoding of the ipcm slice.
#include "port_slice.h"

#include "../lib/little_endian.h"

namespace atoll_os::servers::ipcm {
namespace {

// The rules both ends hold a slice to; nullptr if it keeps them, else what it breaks.
const char* check(const PortSlice& slice) {
  if (slice.pid == 0) return "no PID";
  if (slice.port_count > kPortsPerSession) return "port count out of range";
  for (uint32_t i = 0; i < slice.port_count; ++i) {
    const SlicePort& p = slice.ports[i];
    if (!p.port.valid()) return "a port without an id";
    if (p.notification_object == 0) return "a port without a notification";
    if (p.direct_object == p.notification_object) return "one object for two roles";
    for (uint32_t j = 0; j < i; ++j) {
      const SlicePort& q = slice.ports[j];
      if (q.port == p.port) return "a port listed twice";
      for (uint64_t object : {p.notification_object, p.direct_object}) {
        if (object != 0 && (object == q.notification_object || object == q.direct_object)) {
          return "an object shared by two ports";
        }
      }
    }
  }
  return nullptr;
}

}  // namespace

size_t encoded_size(const PortSlice& slice) {
  return kPortSliceFixedSize + size_t{slice.port_count} * kPortWireSize;
}

Result<size_t> encode(const PortSlice& slice, std::span<uint8_t> out) {
  if (check(slice) != nullptr) return Err(Error::kInvalidArgument);
  size_t size = encoded_size(slice);
  if (out.size() < size) return Err(Error::kOutOfRange);
  LittleEndianWriter w(out.data());
  w.u32(kPortSliceFormat);
  w.u32(slice.port_count);
  w.u64(slice.pid);
  for (uint32_t i = 0; i < slice.port_count; ++i) {
    const SlicePort& p = slice.ports[i];
    w.u64(p.port.value);
    w.u64(p.epoch);
    w.u64(p.notification_object);
    w.u64(p.direct_object);
  }
  return w.used();
}

Result<void> decode(std::span<const uint8_t> in, PortSlice& out, const char** reason) {
  const char* ignored = nullptr;
  const char*& why = reason != nullptr ? *reason : ignored;
  LittleEndianReader r(in);
  uint32_t format = r.u32();
  out.port_count = r.u32();
  out.pid = r.u64();
  if (!r.ok()) {
    why = "the slice ends inside its header";
    return Err(Error::kTruncated);
  }
  if (format != kPortSliceFormat) {
    why = "unknown ipcm slice format";
    return Err(Error::kBadFormat);
  }
  if (out.port_count > kPortsPerSession) {
    why = "port count out of range";
    return Err(Error::kBadFormat);
  }
  for (uint32_t i = 0; i < out.port_count; ++i) {
    SlicePort& p = out.ports[i];
    p.port = PortId{r.u64()};
    p.epoch = r.u64();
    p.notification_object = r.u64();
    p.direct_object = r.u64();
  }
  if (!r.ok()) {
    why = "the slice ends inside its ports";
    return Err(Error::kTruncated);
  }
  if (r.remaining() != 0) {
    why = "bytes after the last port";
    return Err(Error::kBadFormat);
  }
  if (const char* broken = check(out)) {
    why = broken;
    return Err(Error::kBadFormat);
  }
  return success();
}

}  // namespace atoll_os::servers::ipcm
