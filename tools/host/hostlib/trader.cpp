// Parsing ctl's trader replies.
#include "hostlib/trader.h"

namespace atoll_os::host {

HostResult<TraderNode> parse_trader_node(const JsonValue& json) {
  const std::string* isa = json.string_at("isa");
  const std::string* load = json.string_at("load");
  const std::string* features = json.string_at("features");
  auto node = json.uint64_at("node");
  auto abi = json.uint64_at("abi");
  auto total = json.uint64_at("mem_total_mib");
  auto free = json.uint64_at("mem_free_mib");
  auto processes = json.uint64_at("processes");
  auto age = json.uint64_at("age_ms");
  if (!isa || !load || !features || !node || !abi || !total || !free || !processes || !age) {
    return fail(Error::kBadFormat, "a trader node lacks a field: " + json.to_json());
  }
  TraderNode n;
  n.node = static_cast<unsigned>(*node);
  n.isa = *isa;
  n.abi = static_cast<unsigned>(*abi);
  n.load = std::stod(*load);
  n.mem_total_mib = *total;
  n.mem_free_mib = *free;
  n.processes = *processes;
  n.age_ms = *age;
  n.features = *features;
  return n;
}

HostResult<std::vector<TraderNode>> trader_view(ControlChannel& control,
                                                std::chrono::milliseconds timeout) {
  JsonValue reply = HOST_TRY(control.command_ok("trader view", timeout));
  const JsonValue* nodes = reply.find("nodes");
  if (nodes == nullptr) return fail(Error::kBadFormat, "no nodes in " + reply.to_json());
  std::vector<TraderNode> view;
  for (const JsonValue& node : nodes->items()) view.push_back(HOST_TRY(parse_trader_node(node)));
  return view;
}

HostResult<TraderAnswer> trader_query(ControlChannel& control, const std::string& query,
                                      std::chrono::milliseconds timeout) {
  JsonValue reply = HOST_TRY(control.command("trader query " + query, timeout));
  TraderAnswer answer;
  answer.verdict = verdict_of(reply);
  if (!answer.verdict.ok) return answer;
  const JsonValue* node = reply.find("node");
  if (node == nullptr) return fail(Error::kBadFormat, "no node in " + reply.to_json());
  answer.node = HOST_TRY(parse_trader_node(*node));
  answer.matched = reply.uint64_at("matched").value_or(0);
  answer.considered = reply.uint64_at("considered").value_or(0);
  return answer;
}

}  // namespace atoll_os::host
