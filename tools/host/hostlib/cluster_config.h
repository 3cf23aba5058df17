// ClusterConfig: how to start a cluster, and the NodeConfig it gives each of its nodes.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hostlib/host_result.h"
#include "hostlib/node_address.h"
#include "hostlib/node_config.h"

namespace atoll_os::host {

struct ClusterConfig {
  /// Prefix of the run directories (`<name>-switch-...`, `<name>-node<i>-...` under runs/).
  std::string name = "cluster";
  unsigned nodes = 3;
  Accel accel = Accel::kTcg;
  /// QEMU CPU model of each node, in node order; a single entry applies to every node.
  std::vector<std::string> cpu = {"qemu64"};
  /// Guest memory of each node, like `cpu`.
  std::vector<std::string> memory = {"256M"};
  /// Nodes whose NIC traffic QEMU writes to `net0.pcap` in their run directories.
  std::set<unsigned> pcap;
  /// Appended to every node's command line, after its address.
  std::string extra_cmdline;
  /// If set, fixed run directories instead of fresh ones: `<run_root>/switch` and
  /// `<run_root>/node<i>` (`cluster up`, whose logs people look for).
  std::optional<std::filesystem::path> run_root;
  /// The switch and nodes may outlive this process (NodeConfig::detachable).
  bool detachable = false;
  /// The node the page store serves on (docs/pagestore.md); every node is told it as
  /// `pagestore=N` on its command line, omitted for node 0 (the default when absent).
  unsigned pagestore_node = 0;
  /// The store's memory bound in pages (`pagestore_pages=P`); 0: the server's default.
  uint64_t pagestore_pages = 0;
  /// A raw image attached to the store's node as its spill disk (NodeConfig::block_disk).
  std::optional<std::filesystem::path> pagestore_disk;
};

/// kInvalidArgument, naming the problem: no nodes or more than kMaxClusterNodes, a CPU or
/// memory list whose length is neither 1 nor the node count, a captured node that does not
/// exist.
HostResult<void> validate(const ClusterConfig& config);

/// Node `node`'s configuration: its address words (address_of) and the extra words on the
/// command line, its CPU, memory and NIC on the switch serving `switch_dir`.
/// Precondition: validate(config) passed and node < config.nodes.
NodeConfig node_config(const ClusterConfig& config, unsigned node,
                       const std::filesystem::path& switch_dir);

}  // namespace atoll_os::host
