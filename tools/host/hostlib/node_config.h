// NodeConfig: everything that decides how one QEMU node is started.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace atoll_os::host {

enum class Accel { kTcg, kKvm };

/// "tcg" or "kvm", as QEMU's -accel spells it.
const char* accel_name(Accel accel);

enum class SerialMode {
  kLogFile,   // console appended to the run directory's serial.log; the host reads it
  kTerminal,  // console and QEMU monitor on this terminal (-serial mon:stdio; Ctrl-A X quits)
};

/// The node's network card: a virtio-net PCI device plugged into a VDE switch.
struct NicConfig {
  /// The switch's socket directory (VdeSwitch::socket_dir()).
  std::filesystem::path switch_dir;
  /// "52:54:00:77:00:02"; see address_of().
  std::string mac;
  /// QEMU writes every frame the card sends or receives to `net0.pcap` in the run directory.
  bool pcap = false;
};

/// How to start one node. Defaults match what tests and benchmarks expect.
struct NodeConfig {
  /// Names the run directory (`runs/<name>-<pid>-<n>/`); a cluster gives each node its own.
  std::string name = "node";
  /// Kernel command line, handed to GRUB through the config disk.
  std::string cmdline;
  /// TCG is the default: it boots faster than nested KVM on the machines Atoll runs on.
  Accel accel = Accel::kTcg;
  std::string memory = "256M";
  std::string cpu = "qemu64";
  SerialMode serial = SerialMode::kLogFile;
  /// Adds a QMP socket `qmp.sock` in the run directory, for tools that drive QEMU.
  bool qmp_socket = false;
  /// COM2 as the Unix socket `control.sock` in the run directory: the line the ctl server
  /// listens on. On by default; a guest that never opens COM2 ignores it.
  bool control_channel = true;
  /// If set, QEMU waits at reset for gdb on localhost:<port>.
  std::optional<uint16_t> gdb_port;
  /// Without one the node has no network card.
  std::optional<NicConfig> nic;
  /// The run directory to use (created if absent) instead of a fresh `runs/<name>-<pid>-<n>/`;
  /// `cluster up` keeps its nodes at fixed places so that people can find their logs.
  std::optional<std::filesystem::path> run_dir;
  /// QEMU in a session of its own and not killed when this process dies, so that
  /// Node::release() can leave it running (`cluster up`). Off: QEMU dies with its parent.
  bool detachable = false;
  /// A raw disk image attached as a virtio-blk PCI device at slot 5 (the page store's
  /// spill disk; legacy interface, IRQ 10 on the `pc` machine). QEMU writes to the file.
  std::optional<std::filesystem::path> block_disk;
  /// Appended verbatim.
  std::vector<std::string> extra_args;
};

}  // namespace atoll_os::host
