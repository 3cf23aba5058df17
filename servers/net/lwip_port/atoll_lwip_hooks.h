/* The hooks lwipopts.h names (LWIP_HOOK_FILENAME): lwIP includes this in its sources after
 * its own headers, so struct netif and ip4_addr_t are known. route_by_source.cpp defines
 * the function. */
#ifndef ATOLL_LWIP_HOOKS_H
#define ATOLL_LWIP_HOOKS_H

#include "lwip/ip4_addr.h"
#include "lwip/netif.h"

#ifdef __cplusplus
extern "C" {
#endif

/** LWIP_HOOK_IP4_ROUTE_SRC: the interface that owns `src`, or NULL to let lwIP route by
 * `dest` alone (src is the any address, or no interface has it). */
struct netif* atoll_lwip_route_by_source(const ip4_addr_t* src, const ip4_addr_t* dest);

#ifdef __cplusplus
}
#endif

#endif /* ATOLL_LWIP_HOOKS_H */
