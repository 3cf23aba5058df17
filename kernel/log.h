// The kernel log: levelled, printf-style messages on the serial console.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/result.h"

namespace atoll_os::kernel {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };

/// "debug", "info", "warn" or "error"; kInvalidArgument otherwise.
Result<LogLevel> parse_log_level(std::string_view name);
/// Messages below `level` are dropped.
void log_set_level(LogLevel level);

/// One line, prefixed with the uptime and (for warnings and errors) the level.
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vlog(LogLevel level, const char* fmt, va_list args);
/// Unfiltered, unprefixed output for the panic path.
void log_raw(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

#define ATOLL_LOG_FN(name, level)                                                \
  __attribute__((format(printf, 1, 2))) inline void name(const char* fmt, ...) { \
    va_list args;                                                                \
    va_start(args, fmt);                                                         \
    vlog(level, fmt, args);                                                      \
    va_end(args);                                                                \
  }
ATOLL_LOG_FN(log_debug, LogLevel::kDebug)
ATOLL_LOG_FN(log_info, LogLevel::kInfo)
ATOLL_LOG_FN(log_warn, LogLevel::kWarn)
ATOLL_LOG_FN(log_error, LogLevel::kError)
#undef ATOLL_LOG_FN

}  // namespace atoll_os::kernel
