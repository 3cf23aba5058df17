// LineSplitter: turns a byte stream (the control channel's socket) into bounded text lines.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace atoll_os::host {

/// One line out of the stream, without its terminator.
struct SplitLine {
  std::string text;
  /// The guest sent more than the limit before the newline; `text` holds the first
  /// `max_line` bytes and the rest up to the newline was dropped.
  bool overlong = false;
};

/// Feed bytes in any chunking; complete lines come out in order. "\n" ends a line and a
/// "\r" right before it is dropped ("\r\n" and "\n" both work). NUL bytes are dropped: a
/// 16550 that is being reset can hand the host a stray zero. Memory is bounded by
/// `max_line` per pending line plus the lines not yet taken.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  static constexpr size_t kDefaultMaxLine = 64 * 1024;

  void feed(std::string_view bytes);
  /// The oldest complete line, if any.
  std::optional<SplitLine> take();
  size_t ready() const { return lines_.size(); }
  /// Bytes of the line in progress (after the last newline), up to `max_line`.
  const std::string& partial() const { return partial_; }

 private:
  size_t max_line_;
  std::string partial_;
  bool partial_overlong_ = false;
  std::deque<SplitLine> lines_;
};

}  // namespace atoll_os::host
