// A connection a listener has accepted from the network and no client has taken yet: what it
// receives meanwhile is kept for the stream that accept() will make (sockets.cpp).
#pragma once

#include "lwip/err.h"

struct tcp_pcb;
struct pbuf;

namespace atoll_os::servers::net {

struct Socket;

/// A listener's slot for one waiting connection. The data is held outside the window (not
/// acknowledged to the application with tcp_recved) until the client's ring takes it.
struct PendingConnection {
  Socket* listener = nullptr;
  tcp_pcb* pcb = nullptr;
  pbuf* held = nullptr;      // the data so far, one chain, in order
  bool peer_closed = false;  // its FIN came after `held`
};

/// lwIP's receive callback while the connection waits (`arg`: its PendingConnection). It
/// keeps what arrives: refusing it, lwIP's way to hold data back, makes lwIP drop every
/// later data segment until the refused one is taken, so a sender that wrote its request
/// at once waited a retransmission timeout. Only what would overflow the chain's 16-bit
/// length is refused (ERR_MEM; lwIP offers it again, and accept takes it then).
err_t pending_received(void* arg, tcp_pcb* pcb, pbuf* p, err_t error);

/// Frees what the slot holds and empties it (the connection failed, or its listener closed).
void forget_pending(PendingConnection& slot);

}  // namespace atoll_os::servers::net
