// names, the name service: servers register endpoints under names, clients look them up.
//
// pm starts it with its service endpoint as the capability "endpoint" (receive rights);
// every process gets a copy for calling in ProcessStart::names, badged with its PID, which
// is how the service knows who owns a name. names calls no other server.
#include "../lib/serve.h"
#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "name_service.h"

namespace atoll_os::servers::names {
namespace {

class SyscallNamesKernel final : public NamesKernel {
 public:
  Result<abi::HandleInfo> info(abi::Handle handle) override { return user::handle_info(handle); }
  Result<abi::Handle> duplicate(abi::Handle handle, uint32_t rights) override {
    return user::handle_duplicate(handle, rights);
  }
  void close(abi::Handle handle) override { (void)user::handle_close(handle); }
};

}  // namespace
}  // namespace atoll_os::servers::names

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::names;
  abi::Handle endpoint = protocols::pm::find_capability(argc, argv, "endpoint");
  if (endpoint == abi::kNoHandle) user::fatal("no endpoint capability");
  static SyscallNamesKernel kernel;
  static NameService service(kernel);
  user::print("names: serving\n");
  Result<void> served = user::serve(endpoint, [&](abi::Message& message) {
    return servers::handle_request(message, [&](abi::Message& m, protocols::Call& call) {
      return protocols::names::dispatch(service, m, call);
    });
  });
  user::print("names: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
