// Rendering the trader's answers as JSON.
#include "trader_replies.h"

#include "../lib/text_writer.h"
#include "../migm/cpu_features.h"

namespace atoll_os::servers::ctl {
namespace {

void render_node(JsonWriter& json, const protocols::trader::NodeOffer& node) {
  char load[16];
  TextWriter(load).milli(node.load_milli);
  char features[256];
  migm::feature_names(node.features, features, sizeof(features));
  json.begin_object()
      .field("node", uint64_t{node.node})
      .field("isa", node.isa == 62 ? "x86_64" : "other")
      .field("abi", uint64_t{node.abi_version})
      .field("load", load)
      .field("mem_total_mib", node.mem_total_pages / 256)
      .field("mem_free_mib", node.mem_free_pages / 256)
      .field("processes", uint64_t{node.processes})
      .field("age_ms", node.age_ms)
      .field("features", features)
      .end_object();
}

}  // namespace

void render_trader_query(JsonWriter& json, const protocols::trader::QueryReply& reply) {
  json.begin_object()
      .field_bool("ok", true)
      .field("cmd", "trader")
      .field("matched", uint64_t{reply.matched})
      .field("considered", uint64_t{reply.considered})
      .key("node");
  render_node(json, reply.best);
  json.end_object();
}

void render_trader_view(JsonWriter& json, uint32_t self, const protocols::trader::NodeOffer* nodes,
                        size_t count) {
  json.begin_object().field_bool("ok", true).field("cmd", "trader").field("self", uint64_t{self});
  json.begin_array("nodes");
  for (size_t i = 0; i < count; ++i) render_node(json, nodes[i]);
  json.end_array().end_object();
}

}  // namespace atoll_os::servers::ctl
