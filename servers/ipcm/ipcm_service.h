// The ipcm protocol's handler for local clients.
#pragma once

#include "atoll/protocols/ipcm.h"
#include "ipcm_state.h"

namespace atoll_os::servers::ipcm {

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

 private:
  Result<protocols::Empty> send_remote(Location location, const protocols::ipcm::SendRequest& r,
                                       Call& call);
  IpcmState& state_;
};

}  // namespace atoll_os::servers::ipcm
