// Cutting the bytes that arrive on the control serial line into command lines, bounded.
#pragma once

#include <stddef.h>

#include <string_view>

namespace atoll_os::servers::ctl {

/// Collects bytes up to '\n' (a preceding '\r' is dropped). A line longer than kLineMax is
/// not cut into pieces that would run as commands: its bytes are discarded up to the
/// newline and it is reported once as too long.
class LineAssembler {
 public:
  static constexpr size_t kLineMax = 512;

  enum class Status { kPending, kLine, kTooLong };

  /// Feeds one byte. kLine: line() holds a complete line until the next push.
  Status push(char c);
  std::string_view line() const { return {buffer_, length_}; }

 private:
  char buffer_[kLineMax];
  size_t length_ = 0;
  bool complete_ = false;
  bool discarding_ = false;
};

}  // namespace atoll_os::servers::ctl
