// Global port identities: origin node + serial, assigned once and valid after any move.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/result.h"

namespace atoll_os::servers::ipcm {

/// A port's cluster-wide name. It says where the port was born, never where it lives now:
/// the location cache and forwarding records answer that. Serial 0 is "no port".
struct PortId {
  static constexpr unsigned kSerialBits = 48;
  static constexpr uint64_t kSerialMax = (uint64_t(1) << kSerialBits) - 1;

  uint64_t value;

  static constexpr PortId make(uint16_t origin_node, uint64_t serial) {
    return PortId{uint64_t(origin_node) << kSerialBits | (serial & kSerialMax)};
  }
  static constexpr PortId none() { return PortId{0}; }

  constexpr uint16_t origin_node() const { return uint16_t(value >> kSerialBits); }
  constexpr uint64_t serial() const { return value & kSerialMax; }
  constexpr bool valid() const { return serial() != 0; }
  constexpr bool operator==(const PortId&) const = default;
};

/// "node:serial" in decimal, e.g. "3:17"; the longest is "65535:281474976710655".
inline constexpr size_t kPortIdTextMax = 22;

/// Writes `port` as text into `out` (not NUL-terminated); returns the length.
size_t format_port_id(PortId port, char (&out)[kPortIdTextMax]);
/// The inverse of format_port_id; kBadFormat for anything else (serial 0 included),
/// kOutOfRange if a number does not fit its field.
Result<PortId> parse_port_id(std::string_view text);

/// Hands out the serials of the ports born on one node, each once.
class PortIdAllocator {
 public:
  explicit PortIdAllocator(uint16_t node) : node_(node) {}

  /// A fresh id; kOutOfRange once all 2^48 - 1 serials are used.
  Result<PortId> allocate();

 private:
  uint16_t node_;
  uint64_t next_serial_ = 1;
};

}  // namespace atoll_os::servers::ipcm
