// The kernel log: formats into a line buffer and writes it to the serial console.
#include "log.h"

#include "arch/x86_64/serial.h"
#include "lib/format.h"
#include "timer.h"

namespace atoll_os::kernel {
namespace {

constexpr size_t kLineLength = 512;
LogLevel minimum_level = LogLevel::kInfo;

const char* level_tag(LogLevel level) {
  switch (level) {
    case LogLevel::kWarn: return "WARN ";
    case LogLevel::kError: return "ERROR ";
    default: return "";
  }
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return Err(Error::kInvalidArgument);
}

void log_set_level(LogLevel level) {
  minimum_level = level;
}

void vlog(LogLevel level, const char* fmt, va_list args) {
  if (level < minimum_level) return;
  char line[kLineLength];
  uint64_t ms = uptime_ms();
  size_t used =
      format(line, sizeof(line), "[%5lu.%03lu] %s", ms / 1000, ms % 1000, level_tag(level));
  used += vformat(line + used, sizeof(line) - used, fmt, args);
  if (used > sizeof(line) - 2) used = sizeof(line) - 2;  // truncated: keep the newline
  line[used++] = '\n';
  x86_64::serial_write(line, used);
}

void log(LogLevel level, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vlog(level, fmt, args);
  va_end(args);
}

void log_raw(const char* fmt, ...) {
  char line[kLineLength];
  va_list args;
  va_start(args, fmt);
  size_t used = vformat(line, sizeof(line), fmt, args);
  va_end(args);
  x86_64::serial_write(line, used < sizeof(line) ? used : sizeof(line) - 1);
}

}  // namespace atoll_os::kernel
