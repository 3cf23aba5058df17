// The IPC manager protocol: location-transparent ports and names across the cluster.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::ipcm {

inline constexpr uint16_t kProtocolId = kIpcmProtocol;

/// The bit ipcm signals on a port's notification when a message is queued there.
inline constexpr uint64_t kPortBit = 1;
inline constexpr size_t kMessageMax = 400;
/// The label of the empty message ipcm puts at a reply port when the message that named it
/// cannot be delivered: the destination's node went away first. `reply` is the destination.
inline constexpr uint32_t kLabelUndeliverable = 0xffff'ffff;

/// The direct local path (docs/ipcm.md, "The direct local path"). A caller on the port's node
/// signals kDirectBit on the port's notification and calls the owner's endpoint with
/// kLabelDirectCall and a SendRequest as payload; the owner answers with ipc_reply and a
/// ReceivedMessage, or with kLabelDirectRetry when the port no longer takes direct calls
/// (it is moving or closing): the caller then goes through ipcm, and nothing ran twice.
inline constexpr uint64_t kDirectBit = 2;
inline constexpr uint64_t kLabelDirectCall = 0xd1ec'0001;
inline constexpr uint64_t kLabelDirectReply = 0xd1ec'0002;
inline constexpr uint64_t kLabelDirectRetry = 0xd1ec'0003;
/// The owner received again without answering a direct call: the caller gets kTimedOut, as
/// it would through ipcm when no answer comes.
inline constexpr uint64_t kLabelDirectNoAnswer = 0xd1ec'0004;
inline constexpr size_t kNameMax = 32;  // bytes, including the terminating NUL

struct PortReply {
  uint64_t port;
};
static_assert(sizeof(PortReply) == 8);

struct PortRequest {
  uint64_t port;
};
static_assert(sizeof(PortRequest) == 8);

/// A message: the header, then `length` bytes.
struct SendRequest {
  uint64_t destination;
  uint64_t reply;  // a port of the sender for answers, or 0
  uint32_t label;
  uint16_t length;
  uint16_t reserved;
  uint8_t data[kMessageMax];

  static constexpr size_t kMinimumSize = 24;
  static constexpr size_t kMaximumSize = 24 + kMessageMax;
  size_t payload_length() const { return kMinimumSize + length; }
};
static_assert(sizeof(SendRequest) == 24 + kMessageMax);

struct ReceivedMessage {
  uint64_t port;   // where it was queued
  uint64_t reply;  // the sender's reply port, or 0
  uint32_t label;
  uint16_t length;
  uint16_t sender_node;
  uint8_t data[kMessageMax];
};
static_assert(sizeof(ReceivedMessage) == 24 + kMessageMax);

struct NameRequest {
  char name[kNameMax];  // 1..31 printable characters, no space, NUL-terminated
  uint64_t port;        // name_register: the port to bind
};
static_assert(sizeof(NameRequest) == 40);

struct MoveRequest {
  uint64_t port;
  uint64_t node;   // port_move: where to
  uint64_t epoch;  // port_expect: the epoch the port will have here (one more than now)
};
static_assert(sizeof(MoveRequest) == 24);

struct StatsReply {
  uint64_t node;
  uint64_t peers_connected;
  uint64_t frames_sent;
  uint64_t frames_received;
  uint64_t duplicates_dropped;
  uint64_t messages_queued;
  uint64_t messages_delivered;
  uint64_t names;
  uint64_t messages_dropped;  // to a closed port, or to one whose owner took nothing for 5 s
};
static_assert(sizeof(StatsReply) == 72);

struct MigratePortsRequest {
  uint64_t pid;
  uint64_t session;  // the badge of the process's session (pm's describe says it)
  uint64_t migration_id;
  uint64_t node;  // the destination
};
static_assert(sizeof(MigratePortsRequest) == 32);

struct MigratePortsReply {
  uint64_t ports;
  uint64_t bytes_sent;
};
static_assert(sizeof(MigratePortsReply) == 16);

struct MigrationTicket {
  uint64_t session;
  uint64_t migration_id;
};
static_assert(sizeof(MigrationTicket) == 16);

struct MigrationHandleRequest {
  uint64_t migration_id;
  uint64_t pid;
  uint64_t source_object;  // 0: the session
};
static_assert(sizeof(MigrationHandleRequest) == 24);

struct MigrationEnd {
  uint64_t pid;        // the process prepared here
  uint64_t committed;  // 1: committed, 0: aborted
};
static_assert(sizeof(MigrationEnd) == 16);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/ipcm.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::ipcm
