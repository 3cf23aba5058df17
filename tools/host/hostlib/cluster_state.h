// ClusterState: what `cluster up` leaves behind for `status`, `down` and `console` to find
// its running switch and nodes: processes, run directories, sockets, logs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hostlib/detached_process.h"
#include "hostlib/host_result.h"
#include "hostlib/node_address.h"

namespace atoll_os::host {

struct NodeRecord {
  NodeAddress address;
  DetachedProcess qemu;
  std::filesystem::path run_dir;
  std::filesystem::path serial_log;
  std::filesystem::path control_socket;
  std::optional<std::filesystem::path> pcap;

  bool operator==(const NodeRecord&) const = default;
};

struct ClusterState {
  DetachedProcess vde_switch;
  std::filesystem::path switch_dir;  // VdeSwitch::dir(): for VdePort, its log, its mgmt socket
  std::filesystem::path socket_dir;  // VdeSwitch::socket_dir(): what the NICs connect to
  std::vector<NodeRecord> nodes;     // in node order

  bool operator==(const ClusterState&) const = default;
};

/// The state as one JSON object (with a format version).
std::string cluster_state_json(const ClusterState& state);
/// Reads what cluster_state_json wrote; kBadFormat naming the missing or mistyped field, or
/// an unknown version.
HostResult<ClusterState> parse_cluster_state(std::string_view json);

/// Writes `file` whole or not at all (a temporary file renamed over it).
HostResult<void> write_cluster_state(const ClusterState& state, const std::filesystem::path& file);
/// kNotFound if there is no state file: no cluster is up.
HostResult<ClusterState> read_cluster_state(const std::filesystem::path& file);

}  // namespace atoll_os::host
