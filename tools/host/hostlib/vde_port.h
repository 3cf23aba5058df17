// VdePort: a raw Ethernet port on a VdeSwitch, for tests and benchmarks that talk to nodes
// frame by frame (and feed them malformed or oversized frames).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hostlib/host_result.h"

namespace atoll_os::host {

/// The largest frame a VDE connection carries (libvdeplug's VDE_ETHBUFSIZE: a 9216-byte
/// MTU, the Ethernet header and an 802.1Q tag).
inline constexpr size_t kVdeMaxFrame = 9216 + 14 + 4;

/// The longest frame vde_switch (2.3) forwards: a 1500-byte payload, the Ethernet header and
/// a 4-byte tag. Longer frames reach the other ports cut to this length.
inline constexpr size_t kVdeSwitchMaxFrame = 1518;

/// One port of the switch. Frames are sent exactly as given: no padding, no checksum, no
/// check of length or addresses, so that tests can send what a real NIC never would (the
/// switch only cuts frames above kVdeSwitchMaxFrame). The switch learns MAC addresses as a
/// real one does: a frame to an address it has not seen from any port (or to broadcast)
/// goes to every other port.
///
/// The port is a `vde_plug` child process that turns the switch into a byte stream on a
/// socket, framed with libvdeplug's vdestream: libvdeplug's own vde_open() loads its
/// transport with dlopen(RTLD_DEEPBIND), which AddressSanitizer refuses, and the host tools
/// and tests run under it. Movable, not copyable; destroying it unplugs it.
class VdePort {
 public:
  /// Plugs into the switch whose directory is `switch_dir` (VdeSwitch::dir()) and returns
  /// once the switch lists the port, so that no frame sent after open() misses it.
  /// `description` shows in the switch's port list.
  static HostResult<VdePort> open(const std::filesystem::path& switch_dir,
                                  const std::string& description = "atoll-host");
  VdePort(VdePort&&) noexcept;
  VdePort& operator=(VdePort&&) noexcept;
  ~VdePort();

  /// Sends one frame. kOutOfRange for an empty frame or one above kVdeMaxFrame, which the
  /// stream cannot carry; kNotFound if the plug has gone.
  HostResult<void> send(std::span<const uint8_t> frame);
  /// The next frame that reaches this port, waiting up to `timeout`; kTimedOut if none.
  HostResult<std::vector<uint8_t>> receive(std::chrono::milliseconds timeout);

 private:
  struct Connection;
  explicit VdePort(std::unique_ptr<Connection> connection);

  std::unique_ptr<Connection> connection_;
};

}  // namespace atoll_os::host
