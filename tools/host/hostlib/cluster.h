// Cluster: a VDE switch and N nodes plugged into it, started, watched and stopped together.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "hostlib/build_tree.h"
#include "hostlib/cluster_config.h"
#include "hostlib/cluster_state.h"
#include "hostlib/host_result.h"
#include "hostlib/node.h"
#include "hostlib/vde_switch.h"

namespace atoll_os::host {

/// The one way to start a cluster; the CLI, benchmarks and system tests all use it. Node i
/// gets address_of(i) on its command line and a NIC with that MAC on the switch.
/// Destroying a Cluster stops every node, then the switch, and deletes the run directories
/// unless keep_run_dirs() or release() was called. Not movable: tests hold references to
/// its nodes.
class Cluster {
 public:
  /// Checks the config (validate()), prepares the switch's directory and every node's run
  /// directory and config disk; starts nothing.
  static HostResult<std::unique_ptr<Cluster>> create(
      ClusterConfig config, const BuildTree& tree = BuildTree::configured());
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster();

  /// Starts the switch, then every node (each connected to its control channel).
  HostResult<void> start();
  /// Waits until ctl on every node has said {"event":"ready"} with that node's number.
  /// kTimedOut (or the node's failure) names the first node that did not.
  HostResult<void> wait_ready(std::chrono::milliseconds timeout);

  unsigned size() const { return static_cast<unsigned>(nodes_.size()); }
  /// Precondition: i < size().
  Node& node(unsigned i) { return *nodes_[i]; }
  const ClusterConfig& config() const { return config_; }
  /// The switch (started by start()); its dir() is what VdePort::open() takes.
  VdeSwitch& vde_switch() { return *switch_; }

  /// Kills node i's QEMU at once (SIGKILL); the other nodes and the switch run on.
  ExitStatus kill_node(unsigned i);
  /// Stops every node, then the switch.
  void stop();

  void keep_run_dirs();
  /// Every node's failure report and the switch's log, for failure messages.
  std::string failure_report(size_t lines);
  /// Where the running switch and nodes are, for the state file; fails if one is not
  /// running.
  HostResult<ClusterState> state();
  /// Lets the switch and nodes run on after this object is gone, keeping their
  /// directories (ClusterConfig::detachable must have been set, or they die with this
  /// process).
  void release();

 private:
  Cluster(ClusterConfig config, std::filesystem::path switch_dir,
          std::unique_ptr<VdeSwitch> vde_switch, std::vector<std::unique_ptr<Node>> nodes)
      : config_(std::move(config)),
        switch_dir_(std::move(switch_dir)),
        switch_(std::move(vde_switch)),
        nodes_(std::move(nodes)) {}

  ClusterConfig config_;
  // The switch's run directory; switch_->dir() is elsewhere if this is too deep for sockets.
  std::filesystem::path switch_dir_;
  std::unique_ptr<VdeSwitch> switch_;
  std::vector<std::unique_ptr<Node>> nodes_;
  bool keep_run_dirs_ = false;
};

}  // namespace atoll_os::host
