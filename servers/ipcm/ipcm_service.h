// The ipcm protocol's handler for local clients.
#pragma once

#include "atoll/protocols/ipcm.h"
#include "ipcm_state.h"

namespace atoll_os::servers::ipcm {

/// The local port `port`, or nullptr (state.lock held).
LocalPort* local_port(IpcmState& state, PortId port);
/// Records a port living here for `owner`, with ipcm's copies of its objects (kept and
/// closed by release_local); nullptr if no entry is free (state.lock held).
LocalPort* bind_local(IpcmState& state, PortId port, uint64_t owner, abi::Handle notification,
                      abi::Handle direct);
/// Ends a local port's life here (closed or moved away): every direct path to it is revoked
/// and ipcm's own handles to its owner are closed (state.lock held).
void release_local(LocalPort& local);
/// Starts the thread that takes ipcm slices of migrations arriving here (TCP kPortSlicePort).
Result<void> start_port_slice_receiver(IpcmState& state);
/// Moves a local port of `owner` to node `to`, its queue behind it in order, and tells the
/// other nodes (takes state.lock). kNotFound: no such port of `owner`; kBusy: messages held
/// awaiting a flush (try again soon).
Result<void> move_port(IpcmState& state, PortId port, uint16_t to, uint64_t owner);

class IpcmService {
 public:
  explicit IpcmService(IpcmState& state) : state_(state) {}

  using Call = protocols::Call;
  Result<protocols::Empty> open_session(const protocols::Empty&, Call& call);
  Result<protocols::ipcm::PortReply> port_create(const protocols::Empty&, Call& call);
  Result<protocols::Empty> port_close(const protocols::ipcm::PortRequest& r, Call& call);
  Result<protocols::Empty> send(const protocols::ipcm::SendRequest& r, Call& call);
  Result<protocols::ipcm::ReceivedMessage> receive(const protocols::ipcm::PortRequest& r,
                                                   Call& call);
  Result<protocols::Empty> name_register(const protocols::ipcm::NameRequest& r, Call& call);
  Result<protocols::ipcm::PortReply> name_lookup(const protocols::ipcm::NameRequest& r, Call& call);
  Result<protocols::ipcm::StatsReply> stats(const protocols::Empty&, Call& call);
  Result<protocols::Empty> port_expect(const protocols::ipcm::MoveRequest& r, Call& call);
  Result<protocols::Empty> port_move(const protocols::ipcm::MoveRequest& r, Call& call);
  Result<protocols::Empty> direct_open(const protocols::ipcm::PortRequest& r, Call& call);

  // A migration's ipcm slice (port_migration.cpp).
  Result<protocols::ipcm::MigratePortsReply> migrate_ports(
      const protocols::ipcm::MigratePortsRequest& r, Call& call);
  Result<protocols::Empty> migrate_ports_commit(const protocols::ipcm::MigrationTicket& r,
                                                Call& call);
  Result<protocols::Empty> migrate_ports_cancel(const protocols::ipcm::MigrationTicket& r,
                                                Call& call);
  Result<protocols::Empty> migration_handle(const protocols::ipcm::MigrationHandleRequest& r,
                                            Call& call);
  Result<protocols::Empty> migration_end(const protocols::ipcm::MigrationEnd& r, Call& call);

 private:
  Result<protocols::Empty> send_remote(Location location, const protocols::ipcm::SendRequest& r,
                                       Call& call);
  IpcmState& state_;
};

}  // namespace atoll_os::servers::ipcm
