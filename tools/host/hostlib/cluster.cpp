// Cluster: the switch first, then the nodes; stopped in the opposite order.
#include "hostlib/cluster.h"

#include <fstream>
#include <sstream>

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;

HostResult<std::filesystem::path> make_switch_dir(const ClusterConfig& config,
                                                  const BuildTree& tree) {
  if (!config.run_root) return tree.make_run_dir(config.name + "-switch");
  const std::filesystem::path dir = *config.run_root / "switch";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Error::kAccessDenied, "cannot create " + dir.string() + ": " + ec.message());
  return dir;
}

// Every node's run directory and config disk; those made before a failure are removed.
HostResult<std::vector<std::unique_ptr<Node>>> create_nodes(const ClusterConfig& config,
                                                            const std::filesystem::path& socket_dir,
                                                            const BuildTree& tree) {
  std::vector<std::unique_ptr<Node>> nodes;
  for (unsigned i = 0; i < config.nodes; ++i) {
    auto node = Node::create(node_config(config, i, socket_dir), tree);
    if (!node) {
      return fail(node.error(), "node " + std::to_string(i) + ": " + node.failure().message);
    }
    nodes.push_back(node.release_value());
  }
  return nodes;
}

std::chrono::milliseconds until(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

HostResult<NodeRecord> record_of(Node& node, unsigned index) {
  const std::optional<pid_t> pid = node.pid();
  const std::optional<DetachedProcess> qemu = pid ? DetachedProcess::of(*pid) : std::nullopt;
  if (!qemu || !node.running()) {
    return fail(Error::kNotFound, "node " + std::to_string(index) + "'s QEMU is not running");
  }
  const bool pcap = node.config().nic && node.config().nic->pcap;
  return NodeRecord{.address = address_of(index),
                    .qemu = *qemu,
                    .run_dir = node.run_dir(),
                    .serial_log = node.files().serial_log,
                    .control_socket = node.files().control_socket,
                    .pcap = pcap ? std::optional(node.files().pcap) : std::nullopt};
}

}  // namespace

HostResult<std::unique_ptr<Cluster>> Cluster::create(ClusterConfig config, const BuildTree& tree) {
  HOST_TRY(validate(config));
  std::filesystem::path switch_dir = HOST_TRY(make_switch_dir(config, tree));
  auto vde_switch = VdeSwitch::create(switch_dir);
  auto nodes = vde_switch ? create_nodes(config, (*vde_switch)->socket_dir(), tree)
                          : HostResult<std::vector<std::unique_ptr<Node>>>(vde_switch.failure());
  if (!nodes) {
    std::error_code ec;
    std::filesystem::remove_all(switch_dir, ec);
    return nodes.failure();
  }
  return std::unique_ptr<Cluster>(new Cluster(std::move(config), std::move(switch_dir),
                                              vde_switch.release_value(), nodes.release_value()));
}

Cluster::~Cluster() {
  stop();
  switch_.reset();  // removes its temporary directory, if it made one
  std::error_code ec;
  if (!keep_run_dirs_) std::filesystem::remove_all(switch_dir_, ec);
}

HostResult<void> Cluster::start() {
  HOST_TRY(switch_->start(config_.detachable));
  for (unsigned i = 0; i < size(); ++i) {
    if (auto started = nodes_[i]->start(); !started) {
      return fail(started.error(), "node " + std::to_string(i) + ": " + started.failure().message);
    }
  }
  return {};
}

HostResult<void> Cluster::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // The nodes boot in parallel; waiting for them one after another costs nothing, since a
  // node that is ready early keeps its event queued in its socket.
  for (unsigned i = 0; i < size(); ++i) {
    auto said = nodes_[i]->wait_control_ready(until(deadline));
    if (!said) {
      return fail(said.error(), "node " + std::to_string(i) + ": " + said.failure().message);
    }
    if (*said != i) {
      return fail(Error::kBadFormat, "node " + std::to_string(i) + "'s ctl says it is node " +
                                         std::to_string(*said) +
                                         ": the command line's node= did not arrive");
    }
  }
  return {};
}

ExitStatus Cluster::kill_node(unsigned i) {
  return nodes_[i]->kill();
}

void Cluster::stop() {
  for (auto& node : nodes_) node->stop();
  switch_->stop();
}

void Cluster::keep_run_dirs() {
  keep_run_dirs_ = true;
  for (auto& node : nodes_) node->keep_run_dir();
}

std::string Cluster::failure_report(size_t lines) {
  std::ostringstream out;
  for (auto& node : nodes_) out << node->failure_report(lines) << "\n";
  const std::filesystem::path log = switch_->log();
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  out << "--- vde_switch's output (" << log.string() << ") ---\n" << text << "\n";
  return out.str();
}

HostResult<ClusterState> Cluster::state() {
  const std::optional<pid_t> pid = switch_->pid();
  const std::optional<DetachedProcess> vde = pid ? DetachedProcess::of(*pid) : std::nullopt;
  if (!vde || !switch_->running()) return fail(Error::kNotFound, "the switch is not running");
  std::vector<NodeRecord> nodes;
  for (unsigned i = 0; i < size(); ++i) nodes.push_back(HOST_TRY(record_of(*nodes_[i], i)));
  return ClusterState{.vde_switch = *vde,
                      .switch_dir = switch_->dir(),
                      .socket_dir = switch_->socket_dir(),
                      .nodes = std::move(nodes)};
}

void Cluster::release() {
  keep_run_dirs_ = true;
  for (auto& node : nodes_) node->release();
  switch_->release();
}

}  // namespace atoll_os::host
