// What a waiting connection receives before accept (pending_connection.h).
#include "pending_connection.h"

#include "lwip/pbuf.h"
#include "lwip/tcp.h"

namespace atoll_os::servers::net {

err_t pending_received(void* arg, tcp_pcb*, pbuf* p, err_t) {
  auto& slot = *static_cast<PendingConnection*>(arg);
  if (p == nullptr) {
    slot.peer_closed = true;
    return ERR_OK;
  }
  if (slot.held == nullptr) {
    slot.held = p;
  } else if (uint32_t{slot.held->tot_len} + p->tot_len <= 0xffff) {
    pbuf_cat(slot.held, p);
  } else {
    return ERR_MEM;
  }
  return ERR_OK;
}

void forget_pending(PendingConnection& slot) {
  if (slot.held != nullptr) pbuf_free(slot.held);
  slot = {};
}

}  // namespace atoll_os::servers::net
