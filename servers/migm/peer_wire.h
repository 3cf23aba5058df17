// What migration managers say to each other through ipcm: one message per request to the
// port named "migm.N" of node N, answered at the caller's reply port with a PeerAnswer.
#pragma once

#include <stdint.h>

#include "destination.h"

namespace atoll_os::servers::migm {

enum PeerLabel : uint32_t {
  kPeerPropose = 1,  // payload Proposal
  kPeerCommit = 2,   // payload PeerTicket
  kPeerAbort = 3,    // payload PeerTicket
  kPeerAnswer = 4,   // payload PeerAnswer
};

struct PeerTicket {
  uint64_t migration_id;
  uint64_t pid;
};

/// The name of node `node`'s migm port: "migm.<node>" (out holds at least 16 bytes).
void peer_name(uint32_t node, char* out);

}  // namespace atoll_os::servers::migm
