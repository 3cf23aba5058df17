// ClusterConfig: checking it and deriving each node's NodeConfig.
#include "hostlib/cluster_config.h"

namespace atoll_os::host {
namespace {

HostResult<void> check_per_node(const std::vector<std::string>& values, const char* what,
                                unsigned nodes) {
  if (values.size() == 1 || values.size() == nodes) return {};
  return fail(Error::kInvalidArgument, std::string(what) + " has " + std::to_string(values.size()) +
                                           " values for " + std::to_string(nodes) +
                                           " nodes; give one, or one per node");
}

const std::string& per_node(const std::vector<std::string>& values, unsigned node) {
  return values.size() == 1 ? values[0] : values[node];
}

}  // namespace

HostResult<void> validate(const ClusterConfig& config) {
  if (config.nodes == 0 || config.nodes > kMaxClusterNodes) {
    return fail(Error::kInvalidArgument, "a cluster has 1 to " + std::to_string(kMaxClusterNodes) +
                                             " nodes, not " + std::to_string(config.nodes));
  }
  HOST_TRY(check_per_node(config.cpu, "the CPU list", config.nodes));
  HOST_TRY(check_per_node(config.memory, "the memory list", config.nodes));
  if (config.pagestore_node >= config.nodes) {
    return fail(Error::kInvalidArgument,
                "the page store's node " + std::to_string(config.pagestore_node) +
                    " is not one of the nodes 0 to " + std::to_string(config.nodes - 1));
  }
  for (unsigned node : config.pcap) {
    if (node >= config.nodes) {
      return fail(Error::kInvalidArgument, "cannot capture on node " + std::to_string(node) +
                                               ": the nodes are 0 to " +
                                               std::to_string(config.nodes - 1));
    }
  }
  return {};
}

NodeConfig node_config(const ClusterConfig& config, unsigned node,
                       const std::filesystem::path& switch_dir) {
  const NodeAddress address = address_of(node);
  NodeConfig n;
  n.name = config.name + "-node" + std::to_string(node);
  n.cmdline = address.cmdline(config.nodes);
  if (config.pagestore_node != 0)
    n.cmdline += " pagestore=" + std::to_string(config.pagestore_node);
  if (config.pagestore_pages != 0) {
    n.cmdline += " pagestore_pages=" + std::to_string(config.pagestore_pages);
  }
  if (!config.extra_cmdline.empty()) n.cmdline += " " + config.extra_cmdline;
  if (node == config.pagestore_node) n.block_disk = config.pagestore_disk;
  n.accel = config.accel;
  n.cpu = per_node(config.cpu, node);
  n.memory = per_node(config.memory, node);
  n.nic =
      NicConfig{.switch_dir = switch_dir, .mac = address.mac, .pcap = config.pcap.contains(node)};
  if (config.run_root) n.run_dir = *config.run_root / ("node" + std::to_string(node));
  n.detachable = config.detachable;
  return n;
}

}  // namespace atoll_os::host
