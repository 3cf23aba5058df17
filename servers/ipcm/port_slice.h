// The ipcm slice of a migration: the ports of the migrating process, as ipcm on the source
// tells ipcm on the destination, and its versioned wire format.
//
// The body follows a SliceHeader (servers/lib/slice_channel.h, kind kPorts). Little-endian,
// fixed places; a decoder fed anything else returns kBadFormat or kTruncated with a reason
// and never reads past its input.
//
//   offset size  field
//   0      4     format        kPortSliceFormat
//   4      4     port_count    0..kPortsPerSession
//   8      8     pid
//   16     ...   port_count × 32 bytes: port u64, epoch u64 (the port's epoch once on the
//                destination), notification_object u64 (not 0), direct_object u64 (0: none)
//
// The objects are HandleInfo::object_id values on the source: the destination makes a new
// object for each and pm installs it where the process held the old one.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/result.h"
#include "ipcm_state.h"

namespace atoll_os::servers::ipcm {

inline constexpr uint32_t kPortSliceFormat = 1;
inline constexpr size_t kPortSliceFixedSize = 16;
inline constexpr size_t kPortWireSize = 32;
inline constexpr size_t kPortSliceBodyMax = kPortSliceFixedSize + kPortsPerSession * kPortWireSize;

struct SlicePort {
  PortId port;
  uint64_t epoch;
  uint64_t notification_object;
  uint64_t direct_object;  // 0: the port takes no direct calls
};

struct PortSlice {
  uint64_t pid;
  uint32_t port_count;
  SlicePort ports[kPortsPerSession];
};

/// Bytes encode() writes for `slice`.
size_t encoded_size(const PortSlice& slice);
/// Writes `slice` into `out`: the bytes written. kOutOfRange if `out` is too small,
/// kInvalidArgument if the slice breaks a rule decode() checks.
Result<size_t> encode(const PortSlice& slice, std::span<uint8_t> out);
/// Reads a whole body (trailing bytes are an error): kTruncated if `in` ends early,
/// kBadFormat for anything else it does not accept, `*reason` (if given) says what.
Result<void> decode(std::span<const uint8_t> in, PortSlice& out, const char** reason = nullptr);

}  // namespace atoll_os::servers::ipcm
