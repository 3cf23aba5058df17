// ctl's calls to the trader (found in the name service at first use).
#include "trader_commands.h"

#include "atoll/protocols/names.h"
#include "atoll/user/runtime.h"
#include "replies.h"
#include "trader_replies.h"

namespace atoll_os::servers::ctl {
namespace {

namespace tp = protocols::trader;

// What `migrate PID any` asks: the same instruction set, the least load.
constexpr char kDestinationQuery[] = "isa == x86_64 prefer min load";

Result<void> find_trader(Control& control) {
  if (control.trader.endpoint() != abi::kNoHandle) return success();
  protocols::names::Client names(user::process_start().names);
  protocols::names::NameRequest request{};
  protocols::set_text(request.name, "trader", 6);
  protocols::HandleSet handles;
  TRY(names.lookup(request, &handles));
  control.trader = tp::Client(handles.take(0));
  return success();
}

void render_trader_failure(Control& control, JsonWriter& json, const char* command, Error error) {
  const char* reason = control.trader.last_reason();
  render_error(json, command, error_name(error), reason[0] != '\0' ? reason : error_name(error));
}

void run_view(Control& control, JsonWriter& json) {
  size_t count = 0;
  uint32_t self = 0;
  for (uint32_t first = 0;;) {
    Result<tp::ViewReply> page = control.trader.view({first, 0});
    if (!page.ok()) return render_trader_failure(control, json, "trader", page.error());
    self = page->self;
    for (uint32_t i = 0; i < page->count && count < kMaxNodesListed; ++i) {
      control.nodes[count++] = page->entries[i];
    }
    if (!page->more || page->count == 0 || count == kMaxNodesListed) break;
    first = page->entries[page->count - 1].node + 1;
  }
  render_trader_view(json, self, control.nodes, count);
}

}  // namespace

void run_trader(Control& control, const Command& command, JsonWriter& json) {
  if (!find_trader(control).ok()) {
    return render_error(json, "trader", "not_found", "no trader on this node");
  }
  if (command.trader_action == TraderAction::kView) return run_view(control, json);
  tp::QueryRequest request{};
  protocols::set_text(request.text, command.text.data(), command.text.size());
  Result<tp::QueryReply> reply = control.trader.query(request);
  if (!reply.ok()) return render_trader_failure(control, json, "trader", reply.error());
  render_trader_query(json, *reply);
}

Result<uint32_t> choose_destination(Control& control, uint64_t pid, JsonWriter& json) {
  if (!find_trader(control).ok()) {
    render_error(json, "migrate", "not_found", "no trader on this node to choose a destination");
    return Err(Error::kNotFound);
  }
  Result<protocols::pm::DescribeReply> process = control.pm.migrate_describe({pid});
  if (!process.ok()) {
    const char* reason = control.pm.last_reason();
    render_error(json, "migrate", error_name(process.error()),
                 reason[0] != '\0' ? reason : error_name(process.error()));
    return Err(process.error());
  }
  tp::QueryRequest request{};
  protocols::set_text(request.text, kDestinationQuery, sizeof(kDestinationQuery) - 1);
  request.required = process->features;
  request.flags = tp::kRequireFeatures | tp::kExcludeSelf;
  Result<tp::QueryReply> reply = control.trader.query(request);
  if (!reply.ok()) {
    render_error(json, "migrate", error_name(reply.error()),
                 reply.error() == Error::kNotFound
                     ? "no other node offers every CPU feature the process may rely on"
                     : control.trader.last_reason());
    return Err(reply.error());
  }
  return reply->best.node;
}

}  // namespace atoll_os::servers::ctl
