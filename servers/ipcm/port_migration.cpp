// ipcm's slice of a migration (docs/migration.md, "The ipcm slice"). The source announces the
// process's ports to the destination's ipcm over TCP before pm's slice goes: there they are
// expected, with new objects that pm installs where the process held the old ones. Once the
// destination has committed, each port's queue follows it exactly as port_move sends one, so
// what was sent to the process meanwhile arrives after it resumed, once and in order.
#include "../lib/slice_channel.h"
#include "atoll/user/clock.h"
#include "atoll/user/print.h"
#include "atoll/user/syscalls.h"
#include "ipcm_service.h"
#include "port_slice.h"

namespace atoll_os::servers::ipcm {
namespace {

using protocols::Empty;
using protocols::kSystemBadge;
using user::LockGuard;
namespace wire_ipcm = protocols::ipcm;
namespace slices = servers::migration;

constexpr uint32_t kObjectRights =
    abi::kRightRead | abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer;
// What ipcm keeps of a port's objects, as port_create gets them: signal and send, no more.
constexpr uint32_t kWorkingCopyRights =
    abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer;
constexpr uint64_t kHeldRetryMs = 10;
constexpr int kHeldRetries = 300;  // 3 s for the flushes a port's held messages wait for

PortSlice g_outgoing_slice;  // the IPC thread's
uint8_t g_outgoing_body[kPortSliceBodyMax];
PortSlice g_incoming_slice;  // the receiver thread's
uint8_t g_incoming_body[kPortSliceBodyMax];

Result<void> require_system(protocols::Call& call) {
  if (call.badge != kSystemBadge) {
    return call.fail(Error::kAccessDenied, "migration operations are for system servers");
  }
  return success();
}

OutgoingPorts* outgoing_of(IpcmState& state, uint64_t session) {
  for (OutgoingPorts& entry : state.outgoing) {
    if (entry.session == session && session != 0) return &entry;
  }
  return nullptr;
}

IncomingPorts* incoming_of(IpcmState& state, uint64_t migration_id) {
  for (IncomingPorts& entry : state.incoming) {
    if (entry.migration_id == migration_id && migration_id != 0) return &entry;
  }
  return nullptr;
}

// Cuts every direct path to a port (callers queued on one are woken with kBadHandle and go
// through ipcm): the process stops taking calls here, and a new path opened until the
// commit is cut again when the port leaves.
void cut_direct_paths(LocalPort& local) {
  if (local.direct != abi::kNoHandle) (void)user::handle_revoke(local.direct);
  (void)user::handle_revoke(local.notification);
}

// The slice of `session`'s ports, their direct paths cut (state.lock held). kBusy while a
// port of it is still arriving here.
Result<void> collect_ports(IpcmState& state, uint64_t session, PortSlice& slice) {
  slice.port_count = 0;
  for (LocalPort& local : state.local) {
    if (!local.id.valid() || local.owner != session) continue;
    Result<uint64_t> epoch = state.ports.epoch(local.id);
    if (!epoch.ok()) return Err(Error::kBusy);
    slice.ports[slice.port_count++] = {local.id, *epoch + 1, local.notification_object,
                                       local.direct_object};
  }
  for (LocalPort& local : state.local) {
    if (local.id.valid() && local.owner == session) cut_direct_paths(local);
  }
  return success();
}

// Sends the slice and waits for the destination's ipcm to take it: the bytes on the wire.
Result<uint64_t> send_slice(IpcmState& state, uint16_t node, uint64_t migration_id,
                            const PortSlice& slice, char (&reason)[64]) {
  const char* why = "cannot encode the ipcm slice";
  auto fail = [&](Error error) -> Err {
    for (size_t i = 0; why[i] != '\0' && i + 1 < sizeof(reason); ++i) reason[i] = why[i];
    return Err(error);
  };
  Result<size_t> length = encode(slice, g_outgoing_body);
  if (!length.ok()) return fail(length.error());
  why = "no net server";
  Result<protocols::net::Client*> net = slices::slice_net();
  if (!net.ok()) return fail(net.error());
  why = "cannot reach the destination's ipcm";
  Result<slices::SliceChannel> channel =
      slices::SliceChannel::connect(**net, state.ip_of(node), slices::kPortSlicePort);
  if (!channel.ok()) return fail(channel.error());
  Result<slices::SliceAck> ack = channel->write_small_slice(slices::SliceKind::kPorts, migration_id,
                                                            slice.pid, g_outgoing_body, *length)
                                         .ok()
                                     ? channel->read_ack()
                                     : Result<slices::SliceAck>(Err(Error::kTruncated));
  channel->close();
  why = "the destination's ipcm did not answer";
  if (!ack.ok()) return fail(ack.error());
  if (ack->error != 0) {
    why = ack->reason;
    return fail(static_cast<Error>(ack->error));
  }
  return sizeof(slices::SliceHeader) + *length + sizeof(slices::SliceAck);
}

// ---- Destination side (state.lock held).

void close_made(IncomingPorts& entry) {
  for (uint32_t i = 0; i < entry.made_count; ++i) (void)user::handle_close(entry.made[i].handle);
  entry = IncomingPorts{};
}

// Forgets an aborted (or expired) migration: its expected ports and their new objects.
void abandon(IpcmState& state, IncomingPorts& entry) {
  for (uint32_t i = 0; i < entry.port_count; ++i) {
    LocalPort* local = local_port(state, entry.ports[i]);
    if (local != nullptr && local->owner == entry.session) release_local(*local);
    (void)state.ports.unexpect(entry.ports[i]);
  }
  close_made(entry);
}

void expire_incoming(IpcmState& state, uint64_t now) {
  for (IncomingPorts& entry : state.incoming) {
    if (entry.migration_id == 0 || now < entry.expires_ns) continue;
    user::print("ipcm: forgot migration %lx: no end came from its source\n", entry.migration_id);
    abandon(state, entry);
  }
}

// A new object for the process, ipcm's working copy of it bound to the port.
Result<abi::Handle> make_object(IncomingPorts& entry, uint64_t source_object, bool endpoint,
                                abi::Handle& working) {
  abi::Handle made = TRY(endpoint ? user::endpoint_create() : user::notification_create());
  Result<abi::Handle> copy = user::handle_duplicate(made, kWorkingCopyRights);
  if (!copy.ok()) {
    (void)user::handle_close(made);
    return Err(copy.error());
  }
  working = *copy;
  entry.made[entry.made_count++] = {source_object, made};
  return made;
}

Result<void> expect_port(IpcmState& state, IncomingPorts& entry, const SlicePort& port,
                         const char** why) {
  *why = "a port of the process is already here";
  if (local_port(state, port.port) != nullptr) return Err(Error::kAlreadyExists);
  *why = "ipcm cannot take another port";
  TRY(state.ports.expect(port.port, port.epoch));
  entry.ports[entry.port_count++] = port.port;
  abi::Handle notification = abi::kNoHandle;
  abi::Handle direct = abi::kNoHandle;
  *why = "cannot make the port's objects";
  TRY(make_object(entry, port.notification_object, false, notification));
  if (port.direct_object != 0) {
    if (Result<abi::Handle> made = make_object(entry, port.direct_object, true, direct);
        !made.ok()) {
      (void)user::handle_close(notification);
      return Err(made.error());
    }
  }
  *why = "ipcm cannot take another port";
  if (bind_local(state, port.port, entry.session, notification, direct) == nullptr) {
    (void)user::handle_close(notification);
    if (direct != abi::kNoHandle) (void)user::handle_close(direct);
    return Err(Error::kOutOfMemory);
  }
  return success();
}

Result<void> prepare_incoming(IpcmState& state, uint64_t migration_id, const PortSlice& slice,
                              const char** why) {
  *why = "that migration is already prepared here";
  if (incoming_of(state, migration_id) != nullptr) return Err(Error::kAlreadyExists);
  IncomingPorts* entry = nullptr;
  for (IncomingPorts& candidate : state.incoming) {
    if (candidate.migration_id == 0) entry = &candidate;
  }
  *why = "too many migrations arriving at once";
  if (entry == nullptr) return Err(Error::kBusy);
  *entry = IncomingPorts{};
  entry->migration_id = migration_id;
  entry->pid = slice.pid;
  entry->session = ++state.sessions;
  entry->expires_ns = user::now_ns() + kPreparedExpiryNs;
  for (uint32_t i = 0; i < slice.port_count; ++i) {
    if (Result<void> expected = expect_port(state, *entry, slice.ports[i], why); !expected.ok()) {
      abandon(state, *entry);
      return expected;
    }
  }
  return success();
}

void receive_port_slice(slices::SliceChannel& channel, void* context) {
  auto& state = *static_cast<IpcmState*>(context);
  Result<slices::SliceHeader> header = channel.read_header(slices::SliceKind::kPorts);
  if (!header.ok()) return;
  const char* why = "the ipcm slice is too large";
  Result<void> taken = Err(Error::kBadFormat);
  if (header->body_bytes <= sizeof(g_incoming_body)) {
    size_t length = header->body_bytes;
    if (!channel.read_exact(g_incoming_body, length).ok()) return;
    taken = decode({g_incoming_body, length}, g_incoming_slice, &why);
    if (taken.ok() && g_incoming_slice.pid != header->pid) {
      why = "the slice names another process";
      taken = Err(Error::kBadFormat);
    }
  }
  if (taken.ok()) {
    LockGuard guard(state.lock);
    expire_incoming(state, user::now_ns());
    taken = prepare_incoming(state, header->migration_id, g_incoming_slice, &why);
  }
  if (!taken.ok()) user::print("ipcm: refused the ipcm slice of pid %lx: %s\n", header->pid, why);
  (void)channel.write_ack(taken.ok() ? Error::kOk : taken.error(), 0, taken.ok() ? "" : why);
}

// A copy of what `entry` prepared: its session (source_object 0) or a port's new object.
Result<abi::Handle> copy_prepared(IpcmState& state, const IncomingPorts& entry,
                                  uint64_t source_object) {
  if (source_object == 0) {
    return user::handle_duplicate(state.endpoint,
                                  abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer,
                                  entry.session);
  }
  for (uint32_t i = 0; i < entry.made_count; ++i) {
    if (entry.made[i].source_object == source_object) {
      return user::handle_duplicate(entry.made[i].handle, kObjectRights);
    }
  }
  return Err(Error::kNotFound);
}

}  // namespace

Result<void> start_port_slice_receiver(IpcmState& state) {
  return slices::start_slice_receiver(slices::kPortSlicePort, receive_port_slice, &state,
                                      kIpcmPriority);
}

// ---- Source side.

Result<wire_ipcm::MigratePortsReply> IpcmService::migrate_ports(
    const wire_ipcm::MigratePortsRequest& r, Call& call) {
  TRY(require_system(call));
  if (r.node >= state_.nodes || r.node == state_.node) {
    return call.fail(Error::kInvalidArgument, "no such other node");
  }
  if (r.session == 0 || r.session == kSystemBadge) {
    return call.fail(Error::kInvalidArgument, "not a session");
  }
  OutgoingPorts* entry = nullptr;
  g_outgoing_slice.pid = r.pid;
  {
    LockGuard guard(state_.lock);
    if (outgoing_of(state_, r.session) != nullptr) {
      return call.fail(Error::kBusy, "the session is migrating already");
    }
    for (OutgoingPorts& candidate : state_.outgoing) {
      if (candidate.session == 0) entry = &candidate;
    }
    if (entry == nullptr) return call.fail(Error::kBusy, "too many migrations leaving at once");
    if (!collect_ports(state_, r.session, g_outgoing_slice).ok()) {
      return call.fail(Error::kBusy, "a port of the process is still arriving here");
    }
    *entry = {r.session, r.migration_id, static_cast<uint16_t>(r.node)};
  }
  static char reason[64];
  __builtin_memset(reason, 0, sizeof(reason));
  Result<uint64_t> bytes =
      send_slice(state_, static_cast<uint16_t>(r.node), r.migration_id, g_outgoing_slice, reason);
  if (!bytes.ok()) {
    LockGuard guard(state_.lock);
    *entry = OutgoingPorts{};
    return call.fail(bytes.error(), reason);
  }
  return wire_ipcm::MigratePortsReply{g_outgoing_slice.port_count, *bytes};
}

Result<Empty> IpcmService::migrate_ports_commit(const wire_ipcm::MigrationTicket& r, Call& call) {
  TRY(require_system(call));
  PortId ports[kPortsPerSession];
  size_t count = 0;
  uint16_t node = 0;
  {
    LockGuard guard(state_.lock);
    OutgoingPorts* entry = outgoing_of(state_, r.session);
    if (entry == nullptr || entry->migration_id != r.migration_id) {
      return call.fail(Error::kNotFound, "no such migration leaving");
    }
    node = entry->node;
    *entry = OutgoingPorts{};
    for (const LocalPort& local : state_.local) {
      if (local.id.valid() && local.owner == r.session) ports[count++] = local.id;
    }
  }
  size_t failed = 0;
  for (size_t i = 0; i < count; ++i) {
    Result<void> moved = move_port(state_, ports[i], node, r.session);
    for (int retry = 0; !moved.ok() && moved.error() == Error::kBusy && retry < kHeldRetries;
         ++retry) {
      (void)user::sleep_ms(kHeldRetryMs);
      moved = move_port(state_, ports[i], node, r.session);
    }
    if (!moved.ok()) {
      user::print("ipcm: port %lx of a migrated process stays behind: %s\n", ports[i].value,
                  error_name(moved.error()));
      ++failed;
    }
  }
  if (failed != 0) return call.fail(Error::kBusy, "some ports could not follow their process");
  return Empty{};
}

Result<Empty> IpcmService::migrate_ports_cancel(const wire_ipcm::MigrationTicket& r, Call& call) {
  TRY(require_system(call));
  LockGuard guard(state_.lock);
  OutgoingPorts* entry = outgoing_of(state_, r.session);
  if (entry == nullptr || entry->migration_id != r.migration_id) {
    return call.fail(Error::kNotFound, "no such migration leaving");
  }
  *entry = OutgoingPorts{};
  return Empty{};
}

// ---- Destination side.

Result<Empty> IpcmService::migration_handle(const wire_ipcm::MigrationHandleRequest& r,
                                            Call& call) {
  TRY(require_system(call));
  LockGuard guard(state_.lock);
  IncomingPorts* entry = incoming_of(state_, r.migration_id);
  if (entry == nullptr || entry->pid != r.pid) {
    return call.fail(Error::kNotFound, "no such migration prepared here");
  }
  Result<abi::Handle> copy = copy_prepared(state_, *entry, r.source_object);
  if (!copy.ok()) {
    return call.fail(copy.error(), copy.error() == Error::kNotFound
                                       ? "no port object of the process had that id"
                                       : "cannot copy the handle");
  }
  call.reply.add(*copy);
  return Empty{};
}

Result<Empty> IpcmService::migration_end(const wire_ipcm::MigrationEnd& r, Call& call) {
  TRY(require_system(call));
  LockGuard guard(state_.lock);
  IncomingPorts* entry = nullptr;
  for (IncomingPorts& candidate : state_.incoming) {
    if (candidate.migration_id != 0 && candidate.pid == r.pid) entry = &candidate;
  }
  if (entry == nullptr)
    return call.fail(Error::kNotFound, "no migration of that PID prepared here");
  if (r.committed != 0) {
    close_made(*entry);  // the process holds its own handles now
  } else {
    abandon(state_, *entry);
  }
  expire_incoming(state_, user::now_ns());
  return Empty{};
}

}  // namespace atoll_os::servers::ipcm
