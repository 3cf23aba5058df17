// ClusterState to and from JSON, and its file.
#include "hostlib/cluster_state.h"

#include <fstream>
#include <sstream>

#include "hostlib/json.h"

namespace atoll_os::host {
namespace {

// Bumped whenever a field changes meaning, so that a newer tool never misreads an older file.
constexpr uint64_t kStateVersion = 1;

JsonValue process_json(const DetachedProcess& process) {
  return JsonValue::object({{"pid", JsonValue::integer(static_cast<uint64_t>(process.pid()))},
                            {"start_time", JsonValue::integer(process.start_time())}});
}

JsonValue node_json(const NodeRecord& node) {
  return JsonValue::object({
      {"node", JsonValue::integer(node.address.node)},
      {"ip", JsonValue::string(node.address.ip)},
      {"prefix_length", JsonValue::integer(node.address.prefix_length)},
      {"mac", JsonValue::string(node.address.mac)},
      {"qemu", process_json(node.qemu)},
      {"run_dir", JsonValue::string(node.run_dir.string())},
      {"serial_log", JsonValue::string(node.serial_log.string())},
      {"control_socket", JsonValue::string(node.control_socket.string())},
      {"pcap", node.pcap ? JsonValue::string(node.pcap->string()) : JsonValue()},
  });
}

// Reads the fields of one JSON object, remembering the first one missing or mistyped.
class FieldReader {
 public:
  FieldReader(const JsonValue& object, std::string where) : object_(object), where_(where) {}

  uint64_t integer(std::string_view key) {
    auto value = object_.uint64_at(key);
    if (!value) note_bad(key, "a non-negative integer");
    return value.value_or(0);
  }
  std::string text(std::string_view key) {
    const std::string* value = object_.string_at(key);
    if (value == nullptr) note_bad(key, "a string");
    return value ? *value : std::string();
  }
  const JsonValue& member(std::string_view key, JsonValue::Kind kind) {
    static const JsonValue kNull;
    const JsonValue* value = object_.find(key);
    if (value == nullptr || value->kind() != kind) note_bad(key, "of another type");
    return value != nullptr ? *value : kNull;
  }
  DetachedProcess process(std::string_view key) {
    FieldReader inner(member(key, JsonValue::Kind::kObject), where_ + "." + std::string(key));
    const auto pid = static_cast<pid_t>(inner.integer("pid"));
    const uint64_t start_time = inner.integer("start_time");
    if (!inner.ok() && ok()) problem_ = inner.problem_;
    return DetachedProcess(pid, start_time);
  }
  bool ok() const { return problem_.empty(); }
  HostResult<void> result() const {
    if (ok()) return {};
    return fail(Error::kBadFormat, "cluster state: " + problem_);
  }

 private:
  void note_bad(std::string_view key, const char* expected) {
    if (ok()) problem_ = where_ + "." + std::string(key) + " is missing or not " + expected;
  }

  const JsonValue& object_;
  std::string where_;
  std::string problem_;
};

HostResult<NodeRecord> parse_node(const JsonValue& json, size_t index) {
  FieldReader read(json, "nodes[" + std::to_string(index) + "]");
  NodeRecord node;
  node.address.node = static_cast<unsigned>(read.integer("node"));
  node.address.ip = read.text("ip");
  node.address.prefix_length = static_cast<unsigned>(read.integer("prefix_length"));
  node.address.mac = read.text("mac");
  node.qemu = read.process("qemu");
  node.run_dir = read.text("run_dir");
  node.serial_log = read.text("serial_log");
  node.control_socket = read.text("control_socket");
  if (const std::string* pcap = json.string_at("pcap")) node.pcap = *pcap;
  HOST_TRY(read.result());
  return node;
}

}  // namespace

std::string cluster_state_json(const ClusterState& state) {
  std::vector<JsonValue> nodes;
  for (const NodeRecord& node : state.nodes) nodes.push_back(node_json(node));
  return JsonValue::object({
                               {"version", JsonValue::integer(kStateVersion)},
                               {"switch", process_json(state.vde_switch)},
                               {"switch_dir", JsonValue::string(state.switch_dir.string())},
                               {"socket_dir", JsonValue::string(state.socket_dir.string())},
                               {"nodes", JsonValue::array(std::move(nodes))},
                           })
      .to_json();
}

HostResult<ClusterState> parse_cluster_state(std::string_view json) {
  const JsonValue root = HOST_TRY(parse_json(json));
  if (!root.is_object()) return fail(Error::kBadFormat, "cluster state: not a JSON object");
  if (root.uint64_at("version") != kStateVersion) {
    return fail(Error::kBadFormat, "cluster state: not version " + std::to_string(kStateVersion) +
                                       " (written by another version of atoll-host?)");
  }
  FieldReader read(root, "state");
  ClusterState state;
  state.vde_switch = read.process("switch");
  state.switch_dir = read.text("switch_dir");
  state.socket_dir = read.text("socket_dir");
  const JsonValue& nodes = read.member("nodes", JsonValue::Kind::kArray);
  HOST_TRY(read.result());
  for (size_t i = 0; i < nodes.items().size(); ++i) {
    state.nodes.push_back(HOST_TRY(parse_node(nodes.items()[i], i)));
  }
  return state;
}

HostResult<void> write_cluster_state(const ClusterState& state, const std::filesystem::path& file) {
  const std::filesystem::path temporary = file.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << cluster_state_json(state) << '\n';
    if (!out.flush()) return fail(Error::kAccessDenied, "cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) return fail(Error::kAccessDenied, "cannot write " + file.string() + ": " + ec.message());
  return {};
}

HostResult<ClusterState> read_cluster_state(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return fail(Error::kNotFound, "no cluster is up: no state file at " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto state = parse_cluster_state(text.str());
  if (!state) return fail(state.error(), file.string() + ": " + state.failure().message);
  return state;
}

}  // namespace atoll_os::host
