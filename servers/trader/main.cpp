// trader: advertises this node's attributes (ISA, CPU features, kernel ABI, memory, load,
// processes) to the traders of the other nodes through ipcm ports named "trader.N", keeps a
// cluster-wide view in which silent nodes age and are forgotten, and answers constraint
// queries from local clients on its endpoint "trader" (docs/trader.md).
//
// Arguments (from the manifest): $node $ip $nodes. pm is reached through ProcessStart.
#include "../lib/cpu_id.h"
#include "../lib/serve.h"
#include "../lib/sessions.h"
#include "../lib/start_arguments.h"
#include "atoll/protocols/ipcm_client.h"
#include "atoll/protocols/pm.h"
#include "atoll/protocols/trader.h"
#include "atoll/user/clock.h"
#include "atoll/user/lock.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "atoll/user/thread.h"
#include "offer.h"
#include "query.h"
#include "view.h"

namespace atoll_os::servers::trader {
namespace {

namespace ipcm = protocols::ipcm;
namespace pm = protocols::pm;
namespace tp = protocols::trader;
using protocols::Call;

constexpr uint32_t kLabelOffer = 1;
constexpr uint64_t kSendBusyWaitNs = 20'000'000;  // a full link: skip this round
constexpr size_t kPeerStack = 32 * 1024;

// The state both threads use; only under `lock`.
struct Shared {
  user::YieldingLock lock;
  View view;
};

Shared g_shared;
uint32_t g_node = 0;
uint32_t g_nodes = 1;

bool read_nodes(int argc, char** argv) {
  std::string_view nodes = argument_value(argc, argv, "nodes");
  if (nodes.empty()) return false;
  Result<uint64_t> count = user::parse_unsigned(nodes.data());
  if (!count.ok() || *count == 0 || *count > kViewMax || g_node >= *count) return false;
  g_nodes = static_cast<uint32_t>(*count);
  return true;
}

tp::NodeOffer to_reply(const Offer& o, uint64_t age_ms) {
  return {o.node,
          o.isa,
          o.abi_version,
          o.load_milli,
          o.features,
          o.mem_total_pages,
          o.mem_free_pages,
          o.processes,
          0,
          age_ms};
}

// This node's attributes now (pm and the kernel are asked; the caller holds no lock).
Offer sample_self(pm::Client& pm, uint64_t incarnation, uint64_t sequence) {
  Offer o{};
  o.node = g_node;
  o.incarnation = incarnation;
  o.sequence = sequence;
  o.isa = kIsaX86_64;
  o.features = servers::read_cpu_features();
  if (Result<abi::SystemInfo> info = user::system_info(); info.ok()) {
    o.abi_version = info->abi_version;
    o.load_milli = info->load_milli;
  }
  if (Result<protocols::mm::Stats> memory = pm.memory({}); memory.ok()) {
    o.mem_total_pages = memory->kernel.total_frames;
    o.mem_free_pages = memory->kernel.free_frames;
  }
  if (Result<pm::StatsReply> stats = pm.stats({}); stats.ok()) {
    o.processes = static_cast<uint32_t>(stats->processes_live);
  }
  return o;
}

// The other traders' ports, looked up when unknown and forgotten when a send fails.
class Peers {
 public:
  explicit Peers(ipcm::Client& client) : client_(client) {}

  void advertise(const Offer& self) {
    uint8_t wire[kOfferWireSize];
    if (!encode_offer(self, wire).ok()) return;
    for (uint32_t n = 0; n < g_nodes; ++n) {
      if (n == g_node) continue;
      if (ports_[n] == 0) {
        char name[16];
        peer_name(n, name);
        Result<ipcm::PortId> found = ipcm::lookup(client_, name, 0);
        if (!found.ok()) continue;  // not up yet, or gone: asked again next round
        ports_[n] = *found;
      }
      Result<void> sent =
          ipcm::send(client_, ports_[n], 0, kLabelOffer, wire, sizeof(wire), kSendBusyWaitNs);
      if (!sent.ok() && sent.error() != Error::kBusy) ports_[n] = 0;
    }
  }

  static void peer_name(uint32_t node, char* out) { user::format(out, 16, "trader.%u", node); }

 private:
  ipcm::Client& client_;
  ipcm::PortId ports_[kViewMax] = {};
};

void take_offer(const ipcm::ReceivedMessage& m) {
  const char* reason = nullptr;
  Result<Offer> offer = decode_offer({m.data, m.length}, &reason);
  if (m.label != kLabelOffer || !offer.ok()) {
    user::print("trader: refused a message from node %u: %s\n", m.sender_node,
                reason != nullptr ? reason : "unknown label");
    return;
  }
  user::LockGuard guard(g_shared.lock);
  (void)g_shared.view.update(*offer, user::now_ns());
}

// Receives offers until the next advertisement is due, then samples and advertises.
void peer_thread(void*) {
  static pm::Client pm_client(user::process_start().process_manager);
  Result<ipcm::Client> found = ipcm::find_ipcm(abi::kForever);
  if (!found.ok()) return;
  static ipcm::Client client = *found;
  Result<ipcm::Port> port = ipcm::Port::create(client);
  char name[16];
  Peers::peer_name(g_node, name);
  if (!port.ok() || !ipcm::register_name(client, name, port->id()).ok()) {
    user::print("trader: cannot register %s: %s\n", name, client.last_reason());
    return;
  }
  static Peers peers(client);
  constexpr uint64_t kReceiveRetryMs = 50;
  const uint64_t incarnation = user::read_tsc();
  uint64_t sequence = 0;
  uint64_t next_advert = user::now_ns();
  for (;;) {
    uint64_t now = user::now_ns();
    if (now < next_advert) {
      Result<ipcm::ReceivedMessage> m = port->receive(next_advert - now);
      if (m.ok()) {
        take_offer(*m);
      } else if (m.error() != Error::kTimedOut) {
        // ipcm refused at once (seen under load): wait, or this loop takes the whole CPU
        // from the node's processes until the next advert.
        (void)user::sleep_ms(kReceiveRetryMs);
      }
      continue;
    }
    next_advert = now + kAdvertiseIntervalNs;
    Offer self = sample_self(pm_client, incarnation, ++sequence);
    size_t forgotten = 0;
    {
      user::LockGuard guard(g_shared.lock);
      (void)g_shared.view.update(self, user::now_ns());
      forgotten = g_shared.view.expire(user::now_ns());
    }
    if (forgotten != 0) user::print("trader: forgot %lu silent nodes\n", forgotten);
    peers.advertise(self);
  }
}

class TraderService {
 public:
  Result<tp::QueryReply> query(const tp::QueryRequest& r, Call& call) {
    size_t length = protocols::text_length(r.text);
    if (length == sizeof(r.text)) return call.fail(Error::kInvalidArgument, "query not terminated");
    if ((r.flags & ~uint32_t{tp::kRequireFeatures | tp::kExcludeSelf}) != 0) {
      return call.fail(Error::kInvalidArgument, "unknown flags");
    }
    QueryError error{};
    Result<Query> q = Query::parse({r.text, length}, &error);
    if (!q.ok()) {
      protocols::set_text(reason_, error.message, protocols::text_length(error.message));
      return call.fail(Error::kBadFormat, reason_);
    }
    SelectionRules rules{(r.flags & tp::kRequireFeatures) ? &r.required : nullptr,
                         (r.flags & tp::kExcludeSelf) ? int64_t{g_node} : -1};
    user::LockGuard guard(g_shared.lock);
    Selection s = g_shared.view.select(*q, rules, user::now_ns());
    if (s.best == nullptr) {
      user::format(reason_, sizeof(reason_), "no node satisfies the query (%lu considered)",
                   s.considered);
      return call.fail(Error::kNotFound, reason_);
    }
    return tp::QueryReply{static_cast<uint32_t>(s.matched), static_cast<uint32_t>(s.considered),
                          to_reply(*s.best, s.best_age_ms)};
  }

  Result<tp::ViewReply> view(const tp::ViewRequest& r, Call&) {
    tp::ViewReply reply{};
    reply.self = g_node;
    user::LockGuard guard(g_shared.lock);
    reply.known = static_cast<uint32_t>(g_shared.view.size());
    g_shared.view.for_each(user::now_ns(), [&](const Offer& o, uint64_t age_ms) {
      if (o.node < r.first_node) return;
      if (reply.count == tp::kViewPageMax) {
        reply.more = 1;
        return;
      }
      reply.entries[reply.count++] = to_reply(o, age_ms);
    });
    return reply;
  }

 private:
  char reason_[protocols::kReasonMax] = {};
};

}  // namespace
}  // namespace atoll_os::servers::trader

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::trader;
  g_node = static_cast<uint32_t>(user::process_start().node);
  if (!read_nodes(argc, argv)) user::print("trader: no cluster (nodes=): this node alone\n");
  abi::Handle endpoint = servers::register_service_endpoint("trader");
  if (!user::spawn_thread(peer_thread, nullptr, kPeerStack, abi::kPriorityDefault).ok()) {
    user::fatal("trader: cannot start the peer thread");
  }
  static TraderService service;
  user::print("trader: node %u of %u serving\n", g_node, g_nodes);
  Result<void> served = user::serve(endpoint, [&](abi::Message& message) {
    return servers::handle_request(message, [&](abi::Message& m, protocols::Call& call) {
      return protocols::trader::dispatch(service, m, call);
    });
  });
  user::print("trader: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
