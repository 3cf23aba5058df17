// Where the host tools find the build's artifacts and keep each run's temporary files.
#pragma once

#include <filesystem>
#include <string_view>

#include "hostlib/host_result.h"

namespace atoll_os::host {

/// The CMake build directory and the paths inside it that the host side relies on.
class BuildTree {
 public:
  explicit BuildTree(std::filesystem::path root) : root_(std::move(root)) {}

  /// The build directory this library was configured in (CMAKE_BINARY_DIR).
  static BuildTree configured();

  const std::filesystem::path& root() const { return root_; }
  /// Bootable image made by the `atoll_iso` target.
  std::filesystem::path iso() const { return root_ / "boot" / "atoll.iso"; }
  /// Kernel ELF with symbols (target `atoll_kernel`), for gdb.
  std::filesystem::path kernel_elf() const { return root_ / "kernel" / "atoll.elf"; }
  /// Parent of every per-run directory.
  std::filesystem::path runs() const { return root_ / "runs"; }
  /// Where `cluster up` puts the switch and nodes it leaves running (`switch/`, `node<i>/`).
  std::filesystem::path cluster_dir() const { return runs() / "cluster"; }
  /// The state file through which `cluster status`, `down` and `console` find them.
  std::filesystem::path cluster_state() const { return cluster_dir() / "state.json"; }
  /// Default output directory of `bench boot`.
  std::filesystem::path boot_bench() const { return root_ / "bench" / "boot"; }

  /// Creates a fresh directory `runs/<name>-<pid>-<n>/` for one run's logs and disks; n counts
  /// the runs of this process, so parallel test processes and repeated boots never collide.
  HostResult<std::filesystem::path> make_run_dir(std::string_view name) const;

 private:
  std::filesystem::path root_;
};

}  // namespace atoll_os::host
