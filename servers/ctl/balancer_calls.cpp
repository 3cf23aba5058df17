// ctl's calls to the balancer: status, or the parameters changed then the status.
#include "balancer_calls.h"

#include "atoll/protocols/names.h"
#include "atoll/user/runtime.h"
#include "balancer_command.h"
#include "replies.h"

namespace atoll_os::servers::ctl {
namespace {

namespace bp = protocols::balancer;

Result<void> find_balancer(Control& control) {
  if (control.balancer.endpoint() != abi::kNoHandle) return success();
  protocols::names::Client names(user::process_start().names);
  protocols::names::NameRequest request{};
  protocols::set_text(request.name, "balancer", 8);
  protocols::HandleSet handles;
  TRY(names.lookup(request, &handles));
  control.balancer = bp::Client(handles.take(0));
  return success();
}

void render_failure(Control& control, JsonWriter& json, Error error) {
  const char* reason = control.balancer.last_reason();
  render_error(json, "balancer", error_name(error), reason[0] != '\0' ? reason : error_name(error));
}

}  // namespace

void run_balancer(Control& control, const Command& command, JsonWriter& json) {
  if (!find_balancer(control).ok()) {
    return render_error(json, "balancer", "not_found", "no balancer on this node");
  }
  Result<bp::BalancerStatus> status = control.balancer.status({});
  if (!status.ok()) return render_failure(control, json, status.error());
  if (command.balancer_action == BalancerAction::kStatus) {
    return render_balancer(json, control.node, *status);
  }
  bp::BalancerParams params = status->params;
  if (command.balancer_action == BalancerAction::kSet) {
    params = apply_change(command.balancer_change, params);
  } else {
    params.enabled = command.balancer_action == BalancerAction::kOn ? 1 : 0;
  }
  Result<bp::BalancerStatus> configured = control.balancer.configure(params);
  if (!configured.ok()) return render_failure(control, json, configured.error());
  render_balancer(json, control.node, *configured);
}

}  // namespace atoll_os::servers::ctl
