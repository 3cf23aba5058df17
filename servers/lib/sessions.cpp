// Registering a server's endpoint with the name service.
#include "sessions.h"

#include "atoll/protocols/names.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"

namespace atoll_os::servers {

abi::Handle register_service_endpoint(const char* name) {
  Result<abi::Handle> endpoint = user::endpoint_create();
  if (!endpoint.ok()) user::fatal("no endpoint for the service");
  return register_endpoint_as(name, *endpoint);
}

abi::Handle register_endpoint_as(const char* name, abi::Handle endpoint) {
  Result<abi::Handle> copy = user::handle_duplicate(
      endpoint, abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer);
  protocols::HandleSet handles;
  if (copy.ok()) handles.add(*copy);
  protocols::names::NameRequest request{};
  protocols::set_text(request.name, name, __builtin_strlen(name));
  protocols::names::Client names(user::process_start().names);
  if (!copy.ok() || !names.register_name(request, &handles).ok()) {
    user::print("%s: the name service refused the name: %s\n", name, names.last_reason());
    user::fatal("cannot register the service");
  }
  return endpoint;
}

}  // namespace atoll_os::servers
