// SerialLog: a node's serial console as QEMU appends it to a file, read line by line.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace atoll_os::host {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::duration<double, std::milli>;

/// What a test waits for in the log: a plain substring or an ECMAScript regex, searched for
/// anywhere in one line.
class LogPattern {
 public:
  static LogPattern substring(std::string text);
  /// Throws std::regex_error for a malformed expression: a bug in the caller, not a run-time
  /// condition to handle.
  static LogPattern regex(std::string expression);

  /// True if `line` matches; fills `groups` (whole match first) if given.
  bool matches(const std::string& line, std::vector<std::string>* groups = nullptr) const;
  /// The pattern as written, quoted, for messages: "'boot: complete'" or "/tick [0-9]+/".
  std::string describe() const;

 private:
  LogPattern(std::string text, std::optional<std::regex> re)
      : text_(std::move(text)), regex_(std::move(re)) {}

  std::string text_;
  std::optional<std::regex> regex_;
};

/// One line of the console; `seen_at` is when the host first read any of it, which is the
/// best the host knows about when the guest printed it (to within the reader's poll interval).
struct LogLine {
  std::string text;
  Clock::time_point seen_at;
};

/// Reads a log file that another process keeps appending to. Only whole lines are visible
/// until finish() declares the writer gone, because a half-written line could match a
/// pattern prematurely ("tick 1" of "tick 12"). Lines are plain text: terminal escape
/// sequences (GRUB clears the screen with them) and CRs are dropped; the file keeps them.
class SerialLog {
 public:
  explicit SerialLog(std::filesystem::path path) : path_(std::move(path)) {}
  SerialLog(SerialLog&& other) noexcept;
  SerialLog& operator=(SerialLog&&) = delete;
  SerialLog(const SerialLog&) = delete;
  SerialLog& operator=(const SerialLog&) = delete;
  ~SerialLog();

  const std::filesystem::path& path() const { return path_; }
  /// Reads whatever was appended since the last call; returns how many lines completed.
  /// A file that does not exist yet reads as empty.
  size_t poll();
  /// Reads the rest and turns an unterminated last line into a line: the writer has exited.
  void finish();

  const std::vector<LogLine>& lines() const { return lines_; }
  /// Index of the first line at or after `from` that matches.
  std::optional<size_t> find(const LogPattern& pattern, size_t from = 0) const;
  bool contains(const LogPattern& pattern) const { return find(pattern).has_value(); }
  /// The last `n` lines, including a pending unterminated one, for failure reports.
  std::vector<std::string> tail(size_t n) const;

 private:
  void append(const char* data, size_t size, Clock::time_point now);
  /// True if `c` belongs to a terminal escape sequence (and so is not text).
  bool skip_escape(char c);

  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<LogLine> lines_;
  std::string partial_;                // text after the last newline
  Clock::time_point partial_since_{};  // when the first of its bytes was read
  // Where the reader is in a terminal escape sequence, which may span two reads.
  enum class Escape { kNone, kStart, kCsi } escape_ = Escape::kNone;
};

}  // namespace atoll_os::host
