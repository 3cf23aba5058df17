// The one place that turns a NodeConfig into QEMU's command line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "hostlib/node_config.h"

namespace atoll_os::host {

inline constexpr const char* kQemuBinary = "qemu-system-x86_64";

/// The files one boot uses; they live in the node's run directory except the shared ISO.
struct NodeFiles {
  std::filesystem::path iso;
  std::filesystem::path config_disk;
  std::filesystem::path serial_log;  // used when the serial mode is kLogFile
  std::filesystem::path qmp_socket;  // used when config.qmp_socket is set
  // Used when config.control_channel is set. Usually in the run directory; a path too long
  // for a socket address goes through a short symlink to it (see Node::create).
  std::filesystem::path control_socket;
  std::filesystem::path pcap;  // used when config.nic asks for a capture
};

/// Full argv (argv[0] = kQemuBinary) for one node. Every launcher (tests, `run`, `debug`,
/// `demo`, `bench`, clusters) goes through this, so they all boot the same machine.
std::vector<std::string> qemu_argv(const NodeConfig& config, const NodeFiles& files);

/// Doubles commas, which QEMU's option parser would otherwise take as separators.
std::string qemu_escape(const std::string& value);

}  // namespace atoll_os::host
