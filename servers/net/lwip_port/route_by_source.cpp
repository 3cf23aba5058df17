// LWIP_HOOK_IP4_ROUTE_SRC (lwipopts.h): send through the interface that owns the source
// address, so that each interface answers for its own connections.
#include "atoll_lwip_hooks.h"

extern "C" struct netif* atoll_lwip_route_by_source(const ip4_addr_t* src, const ip4_addr_t*) {
  if (ip4_addr_isany(src)) return nullptr;
  struct netif* netif;
  NETIF_FOREACH(netif) {
    if (netif_is_up(netif) && netif_is_link_up(netif) && ip4_addr_cmp(src, netif_ip4_addr(netif))) {
      return netif;
    }
  }
  return nullptr;
}
