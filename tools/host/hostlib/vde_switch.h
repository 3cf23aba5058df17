// VdeSwitch: the virtual Ethernet switch (Debian's vde_switch) a cluster's nodes plug into.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hostlib/host_result.h"
#include "hostlib/process.h"

namespace atoll_os::host {

/// One vde_switch process. In its directory: the socket directory `switch/`, which QEMU's
/// `-netdev vde,sock=...` connects to, the management socket `mgmt` (`vdeterm DIR/mgmt`),
/// and its output `switch.log`. VdePort::open() takes the directory. Destroying it stops
/// the switch, which removes its sockets; the directory stays (its owner decides).
class VdeSwitch {
 public:
  /// Prepares `dir` (created if absent); starts nothing. If `dir` is too deep for socket
  /// addresses, dir() is instead a new directory under the temporary directory, removed
  /// with this object.
  static HostResult<std::unique_ptr<VdeSwitch>> create(const std::filesystem::path& dir);
  VdeSwitch(const VdeSwitch&) = delete;
  VdeSwitch& operator=(const VdeSwitch&) = delete;
  ~VdeSwitch();

  /// Starts the switch and waits until it accepts connections. `detachable` as in
  /// NodeConfig: the switch may outlive this process once release()d.
  HostResult<void> start(bool detachable = false);

  const std::filesystem::path& dir() const { return dir_; }
  /// What QEMU's `sock=` takes.
  std::filesystem::path socket_dir() const { return dir_ / "switch"; }
  std::filesystem::path management_socket() const { return dir_ / "mgmt"; }
  std::filesystem::path log() const { return dir_ / "switch.log"; }

  std::optional<pid_t> pid() const;
  bool running() { return process_ && process_->running(); }
  /// Stops the switch (SIGTERM, then SIGKILL); the nodes' links go dead.
  void stop();
  /// Lets the switch run on after this object is gone (with its directory) and returns its
  /// pid.
  pid_t release();

 private:
  VdeSwitch(std::filesystem::path dir, bool temporary)
      : dir_(std::move(dir)), temporary_(temporary) {}
  HostResult<void> wait_listening();

  std::filesystem::path dir_;
  bool temporary_;  // dir_ is under the temporary directory, made by create()
  std::optional<Process> process_;
};

/// Runs one command on a switch's management socket (`port/print`, `hash/print`, ...) and
/// returns its output, up to and including the result line ("1000 Success").
/// kInvalidArgument quotes the output if the result is an error.
HostResult<std::string> vde_management_command(const std::filesystem::path& socket,
                                               std::string_view command,
                                               std::chrono::milliseconds timeout);

}  // namespace atoll_os::host
