// migm, the migration manager: moves a process to another node by asking each server to
// move its own slice there (docs/migration.md). It serves `migrate` to local clients (ctl)
// on its endpoint "migm", and its peers on the ipcm port "migm.N".
//
// Arguments (from the manifest): $node $ip $nodes $pagestore (the page store's node, for
// flush and eager-dirty), and the capability "mm" (a system-badged
// endpoint of mm, for mm's migration operations). pm is reached through ProcessStart with
// the privilege of a system server.
#include "../lib/serve.h"
#include "../lib/sessions.h"
#include "../lib/start_arguments.h"
#include "atoll/protocols/ipcm_client.h"
#include "atoll/protocols/migm.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/net_client.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/clock.h"
#include "atoll/user/ipc.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/thread.h"
#include "cost_model.h"
#include "link_history.h"
#include "peer_wire.h"

namespace atoll_os::servers::migm {
namespace {

namespace ipcm = protocols::ipcm;
namespace pm = protocols::pm;
namespace mm = protocols::mm;
using protocols::Call;
using protocols::Empty;

constexpr uint64_t kMillisecond = 1'000'000;
constexpr uint64_t kPeerCallTimeout = 10'000 * kMillisecond;
constexpr uint64_t kPeerLookupTimeout = 3'000 * kMillisecond;
constexpr uint64_t kMemorySliceTimeout = 300'000 * kMillisecond;
constexpr uint64_t kMemoryPollNs = 1'000 * kMillisecond;  // mm's signal, or look anyway
constexpr uint64_t kExpiryTick = 1'000 * kMillisecond;
constexpr size_t kPeerStack = 64 * 1024;

struct Cluster {
  uint32_t node = 0;
  uint32_t nodes = 1;
  uint32_t node0_ip = 0;    // network byte order
  uint32_t store_node = 0;  // the page store's (pagestore=, absent: node 0)
  uint32_t ip_of(uint32_t n) const { return __builtin_bswap32(__builtin_bswap32(node0_ip) + n); }
};

Cluster g_cluster;
// Each thread has its own clients (a client keeps the last reason): the service thread
// (source side) uses g_pm and g_mm, the peer thread (destination side) g_peer_pm.
pm::Client g_pm;
pm::Client g_peer_pm;
mm::Client g_mm;
ipcm::Client g_ipcm;       // system-badged: ipcm's migration operations (source side)
ipcm::Client g_peer_ipcm;  // the same, for the peer thread (destination side)

void copy_reason(char* out, size_t capacity, const char* text) {
  size_t n = 0;
  for (; text != nullptr && text[n] != '\0' && n + 1 < capacity; ++n) out[n] = text[n];
  out[n] = '\0';
}

template <size_t N>
void copy_name(char (&out)[N], const char* in, size_t in_size) {
  size_t n = 0;
  for (; n + 1 < N && n < in_size && in[n] != '\0'; ++n) out[n] = in[n];
  out[n] = '\0';
}

bool read_cluster(int argc, char** argv) {
  std::string_view ip = argument_value(argc, argv, "ip");
  std::string_view nodes = argument_value(argc, argv, "nodes");
  if (ip.empty() || nodes.empty()) return false;
  char address[16] = {};
  for (size_t i = 0; i < ip.size() && ip[i] != '/' && i + 1 < sizeof(address); ++i) {
    address[i] = ip[i];
  }
  Result<uint32_t> own = protocols::net::parse_ipv4(address);
  Result<uint64_t> count = user::parse_unsigned(nodes.data());
  if (!own.ok() || !count.ok() || *count == 0 || *count > 0x7fff || g_cluster.node >= *count) {
    return false;
  }
  g_cluster.nodes = static_cast<uint32_t>(*count);
  // The page store's node (flush, eager-dirty): pagestore=S, node 0 without it.
  std::string_view store = argument_value(argc, argv, "pagestore");
  Result<uint64_t> store_node =
      store.empty() ? Result<uint64_t>(0) : user::parse_unsigned(store.data());
  if (store_node.ok() && *store_node < *count) {
    g_cluster.store_node = static_cast<uint32_t>(*store_node);
  }
  g_cluster.node0_ip = __builtin_bswap32(__builtin_bswap32(*own) - g_cluster.node);
  return true;
}

// Calls a peer migm: the answer, or why there is none.
class PeerLink {
 public:
  explicit PeerLink(ipcm::Client& client) : client_(client) {}

  Result<PeerAnswer> ask(uint32_t node, uint32_t label, const void* data, size_t length) {
    if (port_ == nullptr) {
      Result<ipcm::Port> own = ipcm::Port::create(client_);
      if (!own.ok()) return Err(own.error());
      own_ = *own;
      port_ = &own_;
    }
    char name[16];
    peer_name(node, name);
    Result<ipcm::PortId> peer = ipcm::lookup(client_, name, kPeerLookupTimeout);
    if (!peer.ok()) return Err(Error::kNotFound);
    // Answers of an earlier, timed-out exchange may still arrive: skip them.
    for (;;) {
      Result<ipcm::ReceivedMessage> stale = port_->receive(0);
      if (!stale.ok()) break;
    }
    Result<ipcm::ReceivedMessage> reply =
        ipcm::call(client_, *port_, *peer, label, data, length, kPeerCallTimeout);
    if (!reply.ok()) return Err(reply.error());
    PeerAnswer answer{};
    if (reply->label != kPeerAnswer || reply->length != sizeof(answer)) {
      return Err(Error::kBadFormat);
    }
    __builtin_memcpy(&answer, reply->data, sizeof(answer));
    answer.reason[sizeof(answer.reason) - 1] = '\0';
    return answer;
  }

 private:
  ipcm::Client& client_;
  ipcm::Port own_;
  ipcm::Port* port_ = nullptr;
};

class SyscallSourceSteps final : public MigrationSteps {
 public:
  explicit SyscallSourceSteps(PeerLink& peers) : peers_(peers) {}

  Result<ProcessFacts> describe(uint64_t pid) override {
    Result<pm::DescribeReply> d = g_pm.migrate_describe({pid});
    if (!d.ok()) return fail(d.error(), g_pm.last_reason());
    ipcm_session_ = d->ipcm_session;
    ports_sent_ = false;
    ProcessFacts facts{d->pid,   d->parent, d->resident_pages, d->page_quota, d->priority,
                       d->flags, {}};
    copy_name(facts.name, d->name, sizeof(d->name));
    return facts;
  }

  Result<void> propose(uint32_t node, const Proposal& proposal) override {
    return ask(node, kPeerPropose, &proposal, sizeof(proposal));
  }

  Result<void> freeze(uint64_t pid) override {
    Result<pm::FreezeReply> frozen = g_pm.migrate_freeze({pid});
    if (!frozen.ok()) return fail(frozen.error(), g_pm.last_reason());
    return success();
  }

  Result<SliceCost> send_memory(uint64_t pid, uint64_t id, uint32_t node) override {
    return send_pages(pid, id, node, mm::SendMode::kWhole);
  }

  void drop_residual(uint64_t id) override { (void)g_mm.residual_end({id}); }

  Result<SliceCost> send_pages(uint64_t pid, uint64_t id, uint32_t node,
                               mm::SendMode mode) override {
    // mm signals the end: polling with sleeps would cost a timer tick (10 ms) each.
    if (memory_done_ == abi::kNoHandle) {
      Result<abi::Handle> created = user::notification_create();
      if (!created.ok()) return fail(created.error(), "no notification for mm's answer");
      memory_done_ = *created;
    }
    protocols::HandleSet handles;
    Result<abi::Handle> copy =
        user::handle_duplicate(memory_done_, abi::kRightWrite | abi::kRightTransfer);
    if (copy.ok()) handles.add(*copy);
    const uint32_t store_ip = mm::uses_store(mode) ? g_cluster.ip_of(g_cluster.store_node) : 0;
    Result<Empty> started =
        g_mm.space_send({pid, id, g_cluster.ip_of(node), mode, store_ip, 0}, &handles);
    if (!started.ok()) return fail(started.error(), g_mm.last_reason());
    const uint64_t give_up = user::now_ns() + kMemorySliceTimeout;
    for (;;) {
      Result<mm::SliceStatus> status = poll_memory(id);
      if (!status.ok()) return fail(status.error(), "mm lost track of the memory slice");
      if (status->state == mm::SliceState::kDone) {
        return SliceCost{status->bytes_sent, status->pages_sent};
      }
      if (status->state == mm::SliceState::kFailed) {
        copy_reason(reason_, sizeof(reason_), status->reason);
        return Err(static_cast<Error>(status->error));
      }
      if (user::now_ns() > give_up) return fail(Error::kTimedOut, "the memory slice took too long");
      (void)user::notification_wait(memory_done_, kMemoryPollNs);
    }
  }

  Result<SliceCost> send_ports(uint64_t pid, uint64_t id, uint32_t node) override {
    if (ipcm_session_ == 0) return SliceCost{0, 0};  // it talks to no port
    Result<ipcm::MigratePortsReply> sent = g_ipcm.migrate_ports({pid, ipcm_session_, id, node});
    if (!sent.ok()) return fail(sent.error(), g_ipcm.last_reason());
    ports_sent_ = true;
    ports_migration_ = id;
    return SliceCost{sent->bytes_sent, 0};
  }

  Result<SliceCost> send_process(uint64_t pid, uint64_t id, uint32_t node) override {
    Result<pm::SliceReply> sent = g_pm.migrate_send({pid, id, g_cluster.ip_of(node), 0});
    if (!sent.ok()) return fail(sent.error(), g_pm.last_reason());
    return SliceCost{sent->bytes_sent, 0};
  }

  Result<void> commit(uint32_t node, uint64_t pid, uint64_t id) override {
    PeerTicket ticket{id, pid};
    return ask(node, kPeerCommit, &ticket, sizeof(ticket));
  }

  Result<void> release(uint64_t pid) override {
    // Committed: the ports' queues follow the process (what was sent to it meanwhile).
    if (ports_sent_ && !g_ipcm.migrate_ports_commit({ipcm_session_, ports_migration_}).ok()) {
      user::print("migm: pid 0x%lx: %s\n", pid, g_ipcm.last_reason());
    }
    ports_sent_ = false;
    Result<Empty> released = g_pm.migrate_release({pid});
    if (!released.ok()) return fail(released.error(), g_pm.last_reason());
    return success();
  }

  Result<void> thaw(uint64_t pid) override {
    Result<Empty> thawed = g_pm.migrate_thaw({pid});
    if (!thawed.ok()) return fail(thawed.error(), g_pm.last_reason());
    return success();
  }

  void abort(uint32_t node, uint64_t pid, uint64_t id) override {
    if (ports_sent_) (void)g_ipcm.migrate_ports_cancel({ipcm_session_, ports_migration_});
    ports_sent_ = false;
    PeerTicket ticket{id, pid};
    (void)ask(node, kPeerAbort, &ticket, sizeof(ticket));
  }

  uint64_t now_ns() override { return user::now_ns(); }
  const char* reason() override { return reason_; }

 private:
  Err fail(Error error, const char* why) {
    copy_reason(reason_, sizeof(reason_), why);
    return Err(error);
  }

  Result<mm::SliceStatus> poll_memory(uint64_t id) { return g_mm.space_send_status({id}); }

  // A peer request: kNotFound when the peer is unreachable (its node is gone or runs no
  // migm), the peer's error (and reason) when it said no.
  Result<void> ask(uint32_t node, uint32_t label, const void* data, size_t length) {
    Result<PeerAnswer> answer = peers_.ask(node, label, data, length);
    if (!answer.ok()) {
      const char* why = answer.error() == Error::kTimedOut
                            ? "the destination's migm did not answer in time"
                            : "the destination's migm is unreachable";
      return fail(answer.error() == Error::kTimedOut ? Error::kTimedOut : Error::kNotFound, why);
    }
    if (answer->error != 0) return fail(static_cast<Error>(answer->error), answer->reason);
    return success();
  }

  PeerLink& peers_;
  abi::Handle memory_done_ = abi::kNoHandle;  // mm signals kSliceDoneBit here
  uint64_t ipcm_session_ = 0;                 // the migrating process's (describe)
  bool ports_sent_ = false;                   // the destination's ipcm expects its ports
  uint64_t ports_migration_ = 0;
  char reason_[96] = {};
};

class SyscallDestinationSteps final : public DestinationSteps {
 public:
  Result<uint64_t> free_pages() override {
    Result<mm::Stats> stats = g_peer_pm.memory({});
    if (!stats.ok()) return fail(stats.error(), g_peer_pm.last_reason());
    return stats->kernel.free_frames;
  }
  CpuFeatures features() override { return read_cpu_features(); }

  Result<void> prepare(const Proposal& proposal) override {
    pm::PrepareRequest request{};
    request.pid = proposal.process.pid;
    request.migration_id = proposal.migration_id;
    request.parent = proposal.process.parent;
    request.page_quota = proposal.process.page_quota;
    request.resident_pages = proposal.process.resident_pages;
    request.features = proposal.features;
    request.priority = proposal.process.priority;
    request.flags = proposal.process.flags;
    copy_name(request.name, proposal.process.name, sizeof(proposal.process.name));
    Result<Empty> prepared = g_peer_pm.migrate_prepare(request);
    if (!prepared.ok()) return fail(prepared.error(), g_peer_pm.last_reason());
    return success();
  }

  Result<void> commit(uint64_t pid) override {
    Result<Empty> committed = g_peer_pm.migrate_commit({pid});
    if (!committed.ok()) return fail(committed.error(), g_peer_pm.last_reason());
    (void)g_peer_ipcm.migration_end({pid, 1});  // kNotFound: it had no ports
    return success();
  }

  Result<void> abort(uint64_t pid) override {
    (void)g_peer_ipcm.migration_end({pid, 0});
    Result<Empty> aborted = g_peer_pm.migrate_abort({pid});
    if (!aborted.ok()) return fail(aborted.error(), g_peer_pm.last_reason());
    return success();
  }

  const char* reason() override { return reason_; }

 private:
  Err fail(Error error, const char* why) {
    copy_reason(reason_, sizeof(reason_), why);
    return Err(error);
  }
  char reason_[96] = {};
};

// Answers one peer request at `port`.
void answer_peer(ipcm::Client& client, Incoming& incoming, const ipcm::ReceivedMessage& m) {
  PeerAnswer reply = answer(Error::kBadFormat, "malformed migration request");
  if (m.label == kPeerPropose && m.length == sizeof(Proposal)) {
    Proposal proposal;
    __builtin_memcpy(&proposal, m.data, sizeof(proposal));
    proposal.process.name[kNameMax - 1] = '\0';
    reply = incoming.propose(proposal, m.sender_node, user::now_ns());
  } else if ((m.label == kPeerCommit || m.label == kPeerAbort) && m.length == sizeof(PeerTicket)) {
    PeerTicket ticket;
    __builtin_memcpy(&ticket, m.data, sizeof(ticket));
    reply = m.label == kPeerCommit ? incoming.commit(ticket.migration_id, ticket.pid)
                                   : incoming.abort(ticket.migration_id, ticket.pid);
  }
  if (m.reply != 0) (void)ipcm::send(client, m.reply, 0, kPeerAnswer, &reply, sizeof(reply));
}

// The peer side: proposals, commits and aborts from other nodes' migm.
void peer_thread(void*) {
  Result<ipcm::Client> found = ipcm::find_ipcm(abi::kForever);
  if (!found.ok()) return;
  static ipcm::Client client = *found;
  Result<ipcm::Port> port = ipcm::Port::create(client);
  char name[16];
  peer_name(g_cluster.node, name);
  if (!port.ok() || !ipcm::register_name(client, name, port->id()).ok()) {
    user::print("migm: cannot register %s: %s\n", name, client.last_reason());
    return;
  }
  static SyscallDestinationSteps steps;
  static Incoming incoming(steps);
  for (;;) {
    Result<ipcm::ReceivedMessage> m = port->receive(kExpiryTick);
    if (m.ok()) answer_peer(client, incoming, *m);
    if (size_t expired = incoming.expire(user::now_ns()); expired != 0) {
      user::print("migm: aborted %lu prepared migrations whose source fell silent\n", expired);
    }
  }
}

// The CPU features the process may rely on: pm's record (its first node's features, kept
// across migrations); this node's if pm cannot say (then describe fails the migration).
CpuFeatures features_of(uint64_t pid) {
  Result<pm::DescribeReply> described = g_pm.migrate_describe({pid});
  return described.ok() ? described->features : read_cpu_features();
}

class MigrationService {
 public:
  explicit MigrationService(PeerLink& peers) : steps_(peers) {
    // The kept records' pages now, not one by one as migrations come: what this server
    // holds does not grow with the migrations it makes.
    auto* bytes = reinterpret_cast<volatile uint8_t*>(records_);
    for (size_t i = 0; i < sizeof(records_); i += 4096) bytes[i] = 0;
    bytes[sizeof(records_) - 1] = 0;
  }

  Result<protocols::migm::MigrationRecord> migrate(const protocols::migm::MigrateRequest& r,
                                                   Call& call) {
    if (r.node >= g_cluster.nodes)
      return call.fail(Error::kNotFound, "no such node in the cluster");
    if (r.node == g_cluster.node) {
      return call.fail(Error::kInvalidArgument, "the process is already on that node");
    }
    bool automatic = r.strategy == Strategy::kAuto;
    if (!automatic && !has_plan(r.strategy)) {
      return call.fail(Error::kNotSupported, "that strategy is not built yet (issue 7)");
    }
    if (automatic && r.objective > uint32_t(Objective::kNoResidual)) {
      return call.fail(Error::kInvalidArgument, "no such objective");
    }
    if (uses_store(r.strategy) && !store_reachable(r.node)) {
      return call.fail(Error::kNotSupported,
                       "the page store's node cannot reach its own store (net has no loopback): "
                       "move between two other nodes");
    }
    uint64_t id = (uint64_t{g_cluster.node} << 48) | (++serial_ & ((uint64_t{1} << 48) - 1));
    Strategy strategy = r.strategy;
    if (automatic) {
      Result<Choice> chosen = choose_strategy(r);
      if (!chosen.ok()) return refused_by_auto(r, id, chosen.error());
      strategy = chosen->strategy;
      copy_reason(auto_reason_, sizeof(auto_reason_), chosen->reason);
    }
    MigrationPlan plan{r.pid, g_cluster.node, r.node, id, strategy, {}};
    MigrationRecord record = run_plan(steps_, plan, features_of(r.pid));
    links_.note(record);
    if (automatic) {
      record.auto_chosen = 1;
      if (record.error == 0) copy_reason(record.reason, sizeof(record.reason), auto_reason_);
    }
    remember(record);
    user::print("migm: pid 0x%lx to node %u: %s%s%s (total %lu us, frozen %lu us)\n", r.pid, r.node,
                record.error == 0 ? "done" : "failed", record.reason[0] == '\0' ? "" : ": ",
                record.reason, record.total_ns / 1000, record.freeze_ns / 1000);
    return record;
  }

  // A recent record, its residual dependency as mm sees it now.
  Result<MigrationRecord> record(const protocols::migm::RecordRequest& r, Call& call) {
    for (MigrationRecord& kept : records_) {
      if (kept.migration_id != r.migration_id || kept.migration_id == 0) continue;
      // Asked each time: the destination's fault counts come with its last word, which may
      // follow the last page by a moment. A record mm has forgotten keeps what it said last.
      if (protocols::migm::leaves_residual(kept.strategy) && kept.error == 0) {
        Result<mm::ResidualStatus> status = g_mm.residual_status({r.migration_id});
        if (status.ok() && status->state != mm::ResidualState::kNone) {
          kept.residual_ms = status->held_ns / kMillisecond;
          kept.remote_faults = status->remote_faults;
          kept.remote_fault_ns = status->remote_fault_ns;
          kept.residual_done = status->state == mm::ResidualState::kDone ? 1 : 0;
        }
      }
      return kept;
    }
    return call.fail(Error::kNotFound, "no recent migration with that id");
  }

 private:
  void remember(const MigrationRecord& record) { records_[next_record_++ % kRecords] = record; }

  static bool uses_store(Strategy s) { return s == Strategy::kFlush || s == Strategy::kEagerDirty; }
  // Both ends reach the store over TCP, and net has no loopback: the store's own node cannot.
  static bool store_reachable(uint32_t to) {
    return g_cluster.node != g_cluster.store_node && to != g_cluster.store_node;
  }

  // What auto's cost model is fed, measured now: the process's size (pm), its dirty rate
  // (two samples of mm's dirty bits kDirtyWindowMs apart), the link as migrations to that
  // node measured it, and which strategies this node builds.
  Result<Choice> choose_strategy(const protocols::migm::MigrateRequest& r) {
    Result<pm::DescribeReply> described = g_pm.migrate_describe({r.pid});
    if (!described.ok()) return fail_auto(described.error(), g_pm.last_reason());
    Result<mm::DirtySample> first = g_mm.dirty_sample({r.pid});
    if (!first.ok()) return fail_auto(first.error(), g_mm.last_reason());
    const uint64_t start = user::now_ns();
    (void)user::sleep_ms(kDirtyWindowMs);
    Result<mm::DirtySample> second = g_mm.dirty_sample({r.pid});
    if (!second.ok()) return fail_auto(second.error(), g_mm.last_reason());
    const uint64_t window_ns = user::now_ns() - start;
    CostInputs in;
    in.link_bytes_per_s = links_.bytes_per_s(r.node);
    in.rtt_ns = links_.rtt_ns(r.node);
    in.resident_pages = described->resident_pages;
    in.address_space_pages =
        second->region_pages > in.resident_pages ? second->region_pages : in.resident_pages;
    in.dirty_pages_per_s = second->dirty_pages * 1'000'000'000 / (window_ns + 1);
    in.store_available =
        (has_plan(Strategy::kFlush) || has_plan(Strategy::kEagerDirty)) && store_reachable(r.node);
    in.store_put_bytes_per_s = kStorePutBytesPerS;
    in.store_get_bytes_per_s = kStoreGetBytesPerS;
    in.objective = r.objective == 0 ? Objective::kShortestFreeze : Objective(r.objective);
    for (uint32_t s = uint32_t(Strategy::kEager); s < uint32_t(Strategy::kAuto); ++s) {
      if (has_plan(Strategy(s))) in.built |= 1u << s;
    }
    const char* why = nullptr;
    Result<Choice> choice = choose(in, CostParams{}, &why);
    if (!choice.ok()) return fail_auto(choice.error(), why);
    return choice;
  }

  Err fail_auto(Error error, const char* why) {
    copy_reason(auto_reason_, sizeof(auto_reason_), why);
    return Err(error);
  }

  // auto could not choose: nothing was done, and the record says why.
  MigrationRecord refused_by_auto(const protocols::migm::MigrateRequest& r, uint64_t id,
                                  Error error) {
    MigrationRecord record{};
    record.migration_id = id;
    record.pid = r.pid;
    record.from_node = g_cluster.node;
    record.to_node = r.node;
    record.strategy = Strategy::kAuto;
    record.error = static_cast<int32_t>(error);
    record.auto_chosen = 1;
    char reason[sizeof(record.reason)];
    copy_reason(reason, sizeof(reason), auto_reason_);
    copy_reason(record.reason, sizeof(record.reason), "auto: ");
    size_t used = __builtin_strlen(record.reason);
    copy_reason(record.reason + used, sizeof(record.reason) - used, reason);
    remember(record);
    return record;
  }

  // The dirty bits count distinct pages: a window much longer than what it predicts (a
  // precopy round's last pages, ~30 ms) saturates for a process smaller than rate x window
  // (memtouch 1M writing 4096 pages/s showed 1228/s over 200 ms, and auto chose precopy).
  static constexpr uint64_t kDirtyWindowMs = 50;
  // The page store's speeds inside a migration (flush's puts of 64-256 MiB: 34-45 MiB/s;
  // bench pagestore's gets: 51 MiB/s; docs/strategies.md).
  static constexpr uint64_t kStorePutBytesPerS = 35ull << 20;
  static constexpr uint64_t kStoreGetBytesPerS = 50ull << 20;
  LinkHistory links_;
  char auto_reason_[kReasonMax] = {};

  static constexpr size_t kRecords = 16;
  MigrationRecord records_[kRecords] = {};
  size_t next_record_ = 0;
  SyscallSourceSteps steps_;
  uint64_t serial_ = user::read_tsc() & 0xffff'ffff;  // ids stay unique across reboots
};

}  // namespace

CpuFeatures read_cpu_features() {
  uint32_t a, b, c, d;
  asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  CpuFeatures f{c, d, 0, 0};
  asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
  if (a >= 7) {
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    f.leaf7_ebx = b;
    f.leaf7_ecx = c;
  }
  return f;
}

}  // namespace atoll_os::servers::migm

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::migm;
  g_cluster.node = static_cast<uint32_t>(user::process_start().node);
  if (!read_cluster(argc, argv)) user::print("migm: no cluster (ip=, nodes=): this node alone\n");
  g_pm = pm::Client(user::process_start().process_manager);
  g_peer_pm = pm::Client(user::process_start().process_manager);
  abi::Handle mm_endpoint = pm::find_capability(argc, argv, "mm");
  if (mm_endpoint == abi::kNoHandle) user::fatal("migm: no mm capability");
  g_mm = mm::Client(mm_endpoint);
  abi::Handle ipcm_endpoint = pm::find_capability(argc, argv, "ipcm");
  if (ipcm_endpoint == abi::kNoHandle) user::fatal("migm: no ipcm capability");
  g_ipcm = ipcm::Client(ipcm_endpoint);
  g_peer_ipcm = ipcm::Client(ipcm_endpoint);
  abi::Handle endpoint = servers::register_service_endpoint("migm");
  if (!user::spawn_thread(peer_thread, nullptr, kPeerStack, abi::kPriorityDefault).ok()) {
    user::fatal("migm: cannot start the peer thread");
  }
  Result<ipcm::Client> found = ipcm::find_ipcm(abi::kForever);
  if (!found.ok()) user::fatal("migm: no ipcm");
  static ipcm::Client client = *found;
  static PeerLink peers(client);
  static MigrationService service(peers);
  user::print("migm: node %u of %u serving\n", g_cluster.node, g_cluster.nodes);
  Result<void> served = user::serve(endpoint, [&](abi::Message& message) {
    return servers::handle_request(message, [&](abi::Message& m, Call& call) {
      return protocols::migm::dispatch(service, m, call);
    });
  });
  user::print("migm: endpoint failed: %s\n", error_name(served.error()));
  return 1;
}
