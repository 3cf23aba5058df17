/* lwIP's compiler and platform port for Atoll (x86-64, GCC or Clang, no hosted libc on the
 * node). lwip/arch.h includes it first; the functions declared here are defined by
 * sys_arch_node.cpp on the node and sys_arch_host.cpp in the host tests. */
#ifndef ATOLL_LWIP_ARCH_CC_H
#define ATOLL_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** printf-style diagnostics (LWIP_PLATFORM_DIAG): the node's print(), stderr on the host. */
void atoll_lwip_diag(const char* format, ...) __attribute__((format(printf, 1, 2)));
/** A failed LWIP_ASSERT: reports `message` with its place and ends the task (the host
 * test process aborts). lwIP's state is not to be trusted after one. */
__attribute__((noreturn)) void atoll_lwip_assert(const char* message, const char* file, int line);
/** Pseudo-random numbers for lwIP's first local ports; not for anything secret. */
uint32_t atoll_lwip_rand(void);

#ifdef __cplusplus
}
#endif

/* x86-64 is little endian (lwIP's default, stated here; a hosted <endian.h> may have set
 * the same value first). */
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    atoll_lwip_diag x;        \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x) atoll_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() atoll_lwip_rand()

/* The node has none of <inttypes.h>, <ctype.h>, <limits.h> or <unistd.h>: lwIP then uses
 * its own character tests, and the types and printf formats come from here. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_LIMITS_H 1
#define LWIP_NO_UNISTD_H 1

/* The same type as a hosted libc's ssize_t, so that host tests may include both. */
typedef long ssize_t;
#ifndef SSIZE_MAX
#define SSIZE_MAX __LONG_MAX__
#endif

/* printf formats of lwIP's types for the diagnostics; u32_t is unsigned int on x86-64. */
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#endif /* ATOLL_LWIP_ARCH_CC_H */
