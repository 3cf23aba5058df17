// net: the node's network server. It drives the virtio-net device from user space (I/O
// ports, its IRQ line and DMA memory are capabilities init hands it) and runs lwIP in NO_SYS
// mode. Threads: one device thread (interrupts and lwIP's timers) and two threads serving
// the protocol (a ping blocks one); one lock (NetState::lock) makes lwIP single-threaded.
//
// Arguments: node=N ip=A.B.C.D/P mac=xx:..:xx (from the kernel command line through the
// manifest's $node $ip $mac), irq=N (the line the manifest's @irq grants, checked against the
// device's).
#include <optional>

#include "../lib/port_config_space.h"
#include "../lib/serve.h"
#include "../lib/sessions.h"
#include "../lib/start_arguments.h"
#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "atoll/text.h"
#include "atoll/user/clock.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "atoll/user/thread.h"
#include "service.h"

namespace atoll_os::servers::net {
namespace {

constexpr uint64_t kDmaBase = 0x0000'6000'0000'0000;
constexpr uint64_t kIrqBit = 1u << 1;
constexpr uint64_t kLongestSleepNs = 100'000'000;  // lwIP's timers are checked at least this often
constexpr uint32_t kPriority = 20;

struct Capabilities {
  abi::Handle ioports;
  abi::Handle dma;
  abi::Handle irq;
};

[[noreturn]] void give_up(const char* what, Error error) {
  user::print("net: %s: %s\n", what, error_name(error));
  user::fatal("cannot start the network");
}

// The node's identity from the arguments the manifest passed on from the command line;
// nullopt (after saying why) when the host gave this node none.
std::optional<NetConfig> read_config(int argc, char** argv) {
  char line[256];
  size_t length = 0;
  for (int i = 1; i < argc; ++i) {
    length += user::format(line + length, sizeof(line) - length, "%s ", argv[i]);
    if (length >= sizeof(line)) length = sizeof(line) - 1;
  }
  const char* reason = "";
  Result<NetConfig> config = parse_net_config({line, length}, &reason);
  if (config.ok()) return *config;
  if (config.error() == Error::kNotFound) {
    user::print("net: no network identity on the command line (%s); no network\n", reason);
    return std::nullopt;
  }
  user::print("net: bad node identity on the command line: %s\n", reason);
  give_up("configuration", config.error());
}

void open_device(NetState& state, const Capabilities& caps, uint64_t expected_irq) {
  if (Result<void> r = user::ioport_enable(caps.ioports); !r.ok()) give_up("ioports", r.error());
  static PortConfigSpace config_space;
  if (Result<void> r = state.device.init(config_space, caps.dma, kDmaBase); !r.ok()) {
    give_up("no usable virtio-net device", r.error());
  }
  if (state.device.irq() != expected_irq) {
    user::print("net: the device interrupts on IRQ %u, the manifest granted IRQ %lu\n",
                state.device.irq(), expected_irq);
    give_up("interrupt line", Error::kNotFound);
  }
  if (Result<void> r = user::irq_bind(caps.irq, state.wakeup, kIrqBit); !r.ok()) {
    give_up("irq_bind", r.error());
  }
}

// Interrupts and timers. The lock is held while lwIP runs, never while waiting.
void device_thread(void* argument) {
  auto& state = *static_cast<NetState*>(argument);
  uint64_t sleep_ns = 0;
  for (;;) {
    Result<uint64_t> bits = user::notification_wait(state.wakeup, sleep_ns);
    bool interrupted = bits.ok() && (*bits & kIrqBit);
    {
      user::LockGuard guard(state.lock);
      if (interrupted) state.device.acknowledge_interrupt();
      state.link.drain_receive();
      poll_timers();
      state.sockets.sweep(user::now_ns());
      uint64_t next_ns = next_timer_delay_ns();
      sleep_ns = next_ns == 0 ? 1 : (next_ns < kLongestSleepNs ? next_ns : kLongestSleepNs);
    }
    if (interrupted) (void)user::irq_ack(state.irq);
  }
}

uint64_t take_landing(NetState& state) {
  user::LockGuard guard(state.lock);
  Result<uint64_t> slot = state.windows.take();
  if (!slot.ok()) user::fatal("net: no grant window left for a receiving thread");
  return *slot;
}

// One receiving thread. Before each receive it offers a free grant window, where a stream's
// pages land; a stream that keeps them leaves the thread to take another.
void serve_requests(NetState& state, abi::Handle endpoint) {
  NetService service(state);
  abi::Message message;
  uint64_t landing = take_landing(state);
  bool replying = false;
  for (;;) {
    message.header.grant_address = landing;
    message.header.grant_length = protocols::net::kStreamBytes;
    Result<void> received = replying ? user::ipc_reply_recv(endpoint, message, user::kForever)
                                     : user::ipc_recv(endpoint, message, user::kForever);
    if (!received.ok()) {
      if (!replying) give_up("receive", received.error());
      replying = false;  // the caller went away before the reply; receive again
      continue;
    }
    protocols::Call call;
    protocols::begin_call(message, call);
    protocols::Answer answer = protocols::net::dispatch(service, message, call);
    if (call.grant.address == landing && call.grant.length == 0) {
      landing = take_landing(state);  // a stream kept the pages that landed there
    }
    release_call_handles(call);
    replying = answer == protocols::Answer::kReply;
  }
}

struct Receiver {
  NetState* state;
  abi::Handle endpoint;
};

void receiver_thread(void* argument) {
  auto* receiver = static_cast<Receiver*>(argument);
  serve_requests(*receiver->state, receiver->endpoint);
}

// A node the host gave no identity: net stays (so the node's set of servers does not
// depend on its network) and answers every request with the reason.
[[noreturn]] void serve_without_network(abi::Handle endpoint) {
  Result<void> served = user::serve(endpoint, [](abi::Message& message) {
    protocols::detail::write_error(
        message, Error::kNotSupported,
        "this node has no network (no ip= and mac= on its command line)");
    return user::Disposition::kReply;
  });
  give_up("receive", served.error());
}

}  // namespace
}  // namespace atoll_os::servers::net

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::net;
  static NetState state;
  state.node = user::process_start().node;
  std::optional<NetConfig> config = read_config(argc, argv);
  if (!config.has_value()) serve_without_network(servers::register_service_endpoint("net"));
  state.config = *config;
  Capabilities caps = {protocols::pm::find_capability(argc, argv, "ioports"),
                       protocols::pm::find_capability(argc, argv, "dma"),
                       protocols::pm::find_capability(argc, argv, "irq")};
  Result<uint64_t> irq = text::parse_unsigned(servers::argument_value(argc, argv, "irq"));
  if (caps.ioports == abi::kNoHandle || caps.dma == abi::kNoHandle || caps.irq == abi::kNoHandle ||
      !irq.ok()) {
    give_up("missing capabilities (ioports, dma, irq) or irq=N", Error::kNotFound);
  }
  state.irq = caps.irq;
  state.wakeup = user::notification_create().value_or(abi::kNoHandle);
  open_device(state, caps, *irq);
  if (Result<void> r = state.interface.init(state.config, state.link); !r.ok()) {
    give_up("netif", r.error());
  }
  if (Result<void> r = state.pinger.init(); !r.ok()) give_up("ICMP", r.error());
  abi::Handle endpoint = servers::register_service_endpoint("net");
  state.endpoint = endpoint;
  user::print("net: node %lu up: ip=%s mac=%s, IRQ %u, %u-entry queues\n", state.node,
              servers::argument_value(argc, argv, "ip").data(),
              servers::argument_value(argc, argv, "mac").data(), state.device.irq(),
              state.device.queue_size());
  if (!user::spawn_thread(device_thread, &state, 64 * 1024, kPriority).ok()) {
    give_up("device thread", Error::kOutOfMemory);
  }
  static Receiver second = {&state, endpoint};
  if (!user::spawn_thread(receiver_thread, &second, 64 * 1024, kPriority).ok()) {
    give_up("receiver thread", Error::kOutOfMemory);
  }
  serve_requests(state, endpoint);
  return 1;
}
