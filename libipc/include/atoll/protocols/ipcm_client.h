// The client side of the ipcm protocol for programs: a session with this node's ipcm, ports
// to receive on, and sending, calling and naming across the cluster (see ipcm.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/ipcm.h"
#include "atoll/result.h"

namespace atoll_os::protocols::ipcm {

/// A global port id, origin node << 48 | serial; 0 is no port.
using PortId = uint64_t;

inline constexpr uint64_t kMillisecond = 1'000'000;
/// How long send() keeps retrying a busy link (a full window, or a link still connecting)
/// by default: long enough for a peer to connect under TCG, short enough for a caller to
/// report an unreachable node in bounded time.
inline constexpr uint64_t kSendBusyWaitNs = 10'000 * kMillisecond;
/// The pause between two attempts on a busy link: the window opens with the peer's ack.
inline constexpr uint64_t kBusyRetryMs = 1;
/// Ports whose direct paths one program keeps open at once.
inline constexpr size_t kDirectPathsMax = 8;

/// How long find_ipcm() waits by default for ipcm's name: ipcm registers it only after it
/// has found net, which may be a few seconds after the node reports ready.
inline constexpr uint64_t kFindIpcmWaitNs = 10'000 * kMillisecond;

/// A session with this node's ipcm, looked up in the name service; a missing name is looked
/// up again (every 20 ms) until timeout_ns has passed, then kNotFound.
Result<Client> find_ipcm(uint64_t timeout_ns = kFindIpcmWaitNs);

/// A port owned by this program, and the notification ipcm signals (kPortBit) when a
/// message is queued at it. Copies share the same port; close() it once.
class Port {
 public:
  static Result<Port> create(Client& ipcm);
  /// Takes part in moving port `id` here: the port is this program's once its old node
  /// moves it (receive() answers nothing until then); `epoch` is one more than the port's
  /// moves so far. kAlreadyExists if ipcm refuses (see ipcm.last_reason()).
  static Result<Port> expect(Client& ipcm, PortId id, uint64_t epoch);
  /// Moves this port to `node`, where a program expects it; the Port is done with here.
  Result<void> move_to(uint16_t node);

  PortId id() const { return id_; }
  /// The oldest message queued here, or a direct call waiting at the port's endpoint,
  /// waiting up to timeout_ns (abi::kForever) for one; kTimedOut if none came. A direct
  /// call must be answered (send() to its `reply`) before the next receive(), which
  /// otherwise answers it with kLabelDirectNoAnswer.
  Result<ReceivedMessage> receive(uint64_t timeout_ns);
  /// Closes the port (its queued messages are dropped) and the notification.
  Result<void> close();

 private:
  static Result<Port> open(Client& ipcm, PortId id, uint64_t epoch);
  Result<ReceivedMessage> take_direct_call();
  void refuse_direct_calls();

  Client* ipcm_ = nullptr;
  PortId id_ = 0;
  abi::Handle notification_ = abi::kNoHandle;
  abi::Handle direct_ = abi::kNoHandle;  // the endpoint direct calls arrive on
  bool direct_signalled_ = false;        // kDirectBit seen: a direct caller may be waiting
};

/// Sends `length` bytes (at most kMessageMax) to `destination` with `reply` (0 = none) as
/// the answer's address. While ipcm answers kBusy (the link to the destination's node has
/// its window full, or is connecting) it sleeps kBusyRetryMs and tries again, for up to
/// busy_wait_ns; then kBusy. Other errors as ipcm gives them (ipcm.last_reason() says why):
/// kNotFound for a port that does not exist or whose node is unreachable, kOutOfMemory for
/// an exhausted quota.
Result<void> send(Client& ipcm, PortId destination, PortId reply, uint32_t label, const void* data,
                  size_t length, uint64_t busy_wait_ns = kSendBusyWaitNs);

/// Sends to `destination` with `own` as the reply port and waits up to timeout_ns for the
/// next message at `own`: the answer, if `own` serves only this exchange. kTimedOut if none
/// came in time; kNotFound if ipcm bounced the message (the destination's node went away
/// before taking it); send()'s errors otherwise.
///
/// When `destination` lives on this node the call goes straight to its owner's endpoint
/// (the direct path, opened through ipcm at the first call and kept per port); ipcm revokes
/// it when the port moves or closes, and the call then goes through ipcm, transparently. A
/// direct call waits for its answer without the timeout: its owner is on this node.
Result<ReceivedMessage> call(Client& ipcm, Port& own, PortId destination, uint32_t label,
                             const void* data, size_t length, uint64_t timeout_ns);

/// Whether calls to `destination` take the direct path now (for tests and benchmarks).
bool has_direct_path(PortId destination);
/// Stops (false) or resumes (true) using the direct path, for comparisons.
void use_direct_paths(bool enabled);

/// Binds `name` (1..31 printable characters, no space) to a port of this session, for the
/// whole cluster. kAlreadyExists if it is taken, kInvalidArgument for a bad name.
Result<void> register_name(Client& ipcm, const char* name, PortId port);

/// The port bound to `name`. Names reach other nodes asynchronously, so kNotFound is retried
/// (every 20 ms) until timeout_ns has passed; then kNotFound.
Result<PortId> lookup(Client& ipcm, const char* name, uint64_t timeout_ns);

}  // namespace atoll_os::protocols::ipcm
