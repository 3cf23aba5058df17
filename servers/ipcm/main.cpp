// ipcm, the IPC manager: ports with global ids and cluster-wide names. Local clients queue
// and take messages here; messages to a port on another node travel to that node's ipcm
// over a TCP stream through net, exactly once and in order (docs/ipcm.md).
//
// Arguments (from the kernel command line through the manifest's $node $ip $nodes):
// ip=A.B.C.D/P (node n of the cluster is at the address of node 0 plus n) and nodes=N.
// Without them ipcm serves this node alone.
#include "../lib/serve.h"
#include "../lib/sessions.h"
#include "../lib/start_arguments.h"
#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/clock.h"
#include "atoll/user/ipc.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "ipcm_service.h"
#include "peers.h"

namespace atoll_os::servers::ipcm {
namespace {

// ip=A.B.C.D/P and nodes=N: where the other nodes are. False if either is absent or bad.
bool read_cluster(IpcmState& state, int argc, char** argv) {
  std::string_view ip = argument_value(argc, argv, "ip");
  std::string_view nodes = argument_value(argc, argv, "nodes");
  if (ip.empty() || nodes.empty()) return false;
  char address[16] = {};
  size_t i = 0;
  while (i < ip.size() && ip[i] != '/' && i + 1 < sizeof(address)) address[i] = ip[i], ++i;
  Result<uint32_t> own = protocols::net::parse_ipv4(address);
  Result<uint64_t> count = user::parse_unsigned(nodes.data());  // argv words end with NUL
  if (!own.ok() || !count.ok() || *count == 0 || *count > kNodesMax || state.node >= *count) {
    user::print("ipcm: ignoring a bad ip= or nodes= (node %u)\n", state.node);
    return false;
  }
  state.nodes = static_cast<uint16_t>(*count);
  state.node0_ip = __builtin_bswap32(__builtin_bswap32(*own) - state.node);
  return true;
}

// Faults in every page of `object` now: ipcm's tables are static, and pages first touched
// under traffic minutes later would look like memory the node lost (the migration tests
// compare a node's free frames before and after).
template <typename T>
void fault_in(T& object) {
  auto* bytes = reinterpret_cast<volatile uint8_t*>(&object);
  for (size_t offset = 0; offset < sizeof(T); offset += 4096) bytes[offset] = bytes[offset];
  bytes[sizeof(T) - 1] = bytes[sizeof(T) - 1];
}

// net starts beside ipcm and registers its name once its device is up: wait for it.
void connect_net(IpcmState& state) {
  constexpr int kAttempts = 100;  // 5 s
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Result<protocols::net::Client> net = protocols::net::find_net_server();
    if (net.ok()) {
      state.net = *net;
      state.has_network = true;
      return;
    }
    (void)user::sleep_ms(50);
  }
  user::print("ipcm: no net server: serving this node alone\n");
}

}  // namespace
}  // namespace atoll_os::servers::ipcm

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::ipcm;
  auto node = static_cast<uint16_t>(user::process_start().node);
  // The TSC, which QEMU runs from the host's clock, grows across boots: a boot id.
  static IpcmState state(node, user::read_tsc() | 1);
  fault_in(state);
  bool clustered = read_cluster(state, argc, argv);
  if (clustered) connect_net(state);
  // init makes ipcm's endpoint (so that pm and migm hold system-badged copies for the
  // migration operations); without it, as in a test image, ipcm makes its own.
  abi::Handle given = protocols::pm::find_capability(argc, argv, "endpoint");
  state.endpoint = given != abi::kNoHandle ? servers::register_endpoint_as("ipcm", given)
                                           : servers::register_service_endpoint("ipcm");
  if (!start_peer_threads(state).ok()) user::fatal("ipcm: cannot start the peer threads");
  if (clustered && !start_port_slice_receiver(state).ok()) {
    user::fatal("ipcm: cannot start the migration slice receiver");
  }
  user::print("ipcm: node %u of %u serving%s\n", state.node, state.nodes,
              state.has_network ? "" : " this node alone");
  static IpcmService service(state);
  Result<void> served = user::serve(state.endpoint, [&](abi::Message& message) {
    return servers::handle_request(message, [&](abi::Message& m, protocols::Call& call) {
      return protocols::ipcm::dispatch(service, m, call);
    });
  });
  user::print("ipcm: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
