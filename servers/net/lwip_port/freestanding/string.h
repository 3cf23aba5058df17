/* <string.h> for lwIP on a node, where there is no hosted libc: the functions the user
 * runtime provides (libipc/user/string.cpp and kernel/lib/mem.cpp). Only cmake/lwip.cmake's
 * node build puts this directory on the include path. */
#ifndef ATOLL_LWIP_FREESTANDING_STRING_H
#define ATOLL_LWIP_FREESTANDING_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void* memcpy(void* dest, const void* src, size_t n);
void* memset(void* dest, int value, size_t n);
void* memmove(void* dest, const void* src, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* ATOLL_LWIP_FREESTANDING_STRING_H */
