// Formatted output for user programs, with the kernel's printf-compatible formatter.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace atoll_os::user {

/// Writes `length` bytes to this process's console (see console() in runtime.h): console
/// protocol messages of at most kConsoleWriteMax bytes, or the kernel log when there is no
/// console endpoint or the console refuses the message.
void write_console(const char* text, size_t length);

/// printf to the console. Conversions: %d %i %u %x %X %o %c %s %p %% with flags, width,
/// precision and hh h l ll z t j (kernel/lib/format.h); no floating point.
void print(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void vprint(const char* fmt, va_list args);

/// snprintf: writes at most size - 1 characters and a NUL; returns the full length.
size_t format(char* buffer, size_t size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t vformat(char* buffer, size_t size, const char* fmt, va_list args);

}  // namespace atoll_os::user
