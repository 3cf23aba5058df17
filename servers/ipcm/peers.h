// ipcm's links to its peers: one TCP stream per pair of nodes (the higher-numbered node
// connects, the lower accepts), frames in the wire format, exactly once and in order through
// each peer's PeerLink, heartbeats, and a peer declared gone when it falls silent.
#pragma once

#include <stdint.h>

#include "atoll/result.h"
#include "ipcm_state.h"

namespace atoll_os::servers::ipcm {

/// A peer that sends nothing (not even a heartbeat) for this long is declared gone.
inline constexpr uint64_t kPeerSilenceNs = 6'000'000'000;
inline constexpr uint64_t kHeartbeatNs = 500'000'000;

/// Starts the acceptor, one connector per lower-numbered node and the ticker.
Result<void> start_peer_threads(IpcmState& state);

/// Who a frame is sent for. A client's message may take the send window only up to
/// kClientWindow, so that ipcm's own frames (forwards, flushes, port moves) always find room
/// and are never starved by clients retrying a busy link.
enum class SendFor { kClient, kIpcm };
inline constexpr size_t kClientWindow = kSendWindow - 8;

/// Numbers (if sequenced), encodes and writes `frame` to node `node`. Never call with
/// state.lock held. kBusy: not connected yet, or the peer's send window is full (for a
/// client: fuller than kClientWindow); kNotFound: the node is gone or outside the cluster.
Result<void> send_to_node(IpcmState& state, uint16_t node, wire::Frame& frame,
                          SendFor sender = SendFor::kIpcm);

/// Sends a sequenced frame to every connected peer (names); failures are skipped.
void broadcast(IpcmState& state, wire::Frame& frame);

/// Where a message for `port` goes now: its origin, or where it was last seen moving to
/// (state.lock held).
Location locate(IpcmState& state, PortId port);

/// Places a message at a port of this node and signals its owner if it was queued; with
/// state.lock held. kNotFound (no such port), kOutOfMemory (its queue is full); a port that
/// moved away answers kForward.
Result<Delivery> deliver_local(IpcmState& state, PortId port, const PortMessage& message);

/// send_to_node, waiting out a busy link (a full send window) while the node lives, for up
/// to kPatienceNs; a frame given up on is counted as dropped and logged.
inline constexpr uint64_t kPatienceNs = 30'000'000'000;
Result<void> send_patiently(IpcmState& state, uint16_t node, wire::Frame& frame);

}  // namespace atoll_os::servers::ipcm
