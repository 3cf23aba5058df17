// A printf-style formatter for the kernel: no allocation, no floating point.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace atoll_os::kernel {

/// Formats like C's vsnprintf: writes at most `size - 1` characters and a NUL (nothing when
/// `size` is 0) and returns the length the full output would have had.
/// Supports %d %i %u %x %X %o %c %s %p %% with flags `-0+ #`, width and precision (also
/// as `*`) and the length modifiers hh h l ll z t j. %p prints like glibc: "0x" and
/// lower-case hex, or "(nil)" for null. A null %s prints "(null)". An unknown conversion
/// is copied through verbatim.
size_t vformat(char* buffer, size_t size, const char* fmt, va_list args);

size_t format(char* buffer, size_t size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace atoll_os::kernel
