/* <stdlib.h> for lwIP on a node: only atoi (netif_find), from libipc/user/string.cpp. Only
 * cmake/lwip.cmake's node build puts this directory on the include path. */
#ifndef ATOLL_LWIP_FREESTANDING_STDLIB_H
#define ATOLL_LWIP_FREESTANDING_STDLIB_H

#ifdef __cplusplus
extern "C" {
#endif

int atoi(const char* text);

#ifdef __cplusplus
}
#endif

#endif /* ATOLL_LWIP_FREESTANDING_STDLIB_H */
