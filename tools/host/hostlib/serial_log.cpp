// SerialLog and LogPattern: incremental reading of a growing console log and line matching.
#include "hostlib/serial_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace atoll_os::host {

LogPattern LogPattern::substring(std::string text) {
  return LogPattern(std::move(text), {});
}

LogPattern LogPattern::regex(std::string expression) {
  std::regex re(expression, std::regex::ECMAScript);
  return LogPattern(std::move(expression), std::move(re));
}

bool LogPattern::matches(const std::string& line, std::vector<std::string>* groups) const {
  if (!regex_) {
    if (line.find(text_) == std::string::npos) return false;
    if (groups) *groups = {text_};
    return true;
  }
  std::smatch m;
  if (!std::regex_search(line, m, *regex_)) return false;
  if (groups) {
    groups->clear();
    for (const auto& sub : m) groups->push_back(sub.str());
  }
  return true;
}

std::string LogPattern::describe() const {
  return regex_ ? "/" + text_ + "/" : "'" + text_ + "'";
}

SerialLog::SerialLog(SerialLog&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(other.fd_),
      lines_(std::move(other.lines_)),
      partial_(std::move(other.partial_)),
      partial_since_(other.partial_since_),
      escape_(other.escape_) {
  other.fd_ = -1;
}

SerialLog::~SerialLog() {
  if (fd_ >= 0) close(fd_);
}

size_t SerialLog::poll() {
  if (fd_ < 0) {
    // QEMU creates the file while it starts; until then there is nothing to read.
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return 0;
  }
  const size_t before = lines_.size();
  const Clock::time_point now = Clock::now();
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of what has been written so far
    append(buf, static_cast<size_t>(n), now);
  }
  return lines_.size() - before;
}

void SerialLog::finish() {
  poll();
  if (!partial_.empty()) {
    lines_.push_back({std::move(partial_), partial_since_});
    partial_.clear();
  }
}

void SerialLog::append(const char* data, size_t size, Clock::time_point now) {
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (partial_.empty()) partial_since_ = now;
    if (skip_escape(c)) continue;
    if (c == '\n') {
      lines_.push_back({std::move(partial_), partial_since_});
      partial_.clear();
    } else if (c == '\t' || static_cast<unsigned char>(c) >= 0x20) {
      partial_ += c;
    }
  }
}

bool SerialLog::skip_escape(char c) {
  constexpr char kEsc = 0x1b;
  switch (escape_) {
    case Escape::kNone:
      if (c != kEsc) return false;
      escape_ = Escape::kStart;
      return true;
    case Escape::kStart:  // ESC [ starts a CSI sequence; ESC x is a two-byte sequence
      escape_ = c == '[' ? Escape::kCsi : Escape::kNone;
      return true;
    case Escape::kCsi:  // parameters until a final byte in @..~
      if (c >= 0x40 && c <= 0x7e) escape_ = Escape::kNone;
      return true;
  }
  return false;
}

std::optional<size_t> SerialLog::find(const LogPattern& pattern, size_t from) const {
  for (size_t i = from; i < lines_.size(); ++i) {
    if (pattern.matches(lines_[i].text)) return i;
  }
  return std::nullopt;
}

std::vector<std::string> SerialLog::tail(size_t n) const {
  std::vector<std::string> out;
  const size_t pending = partial_.empty() ? 0 : 1;
  const size_t from_lines = n > pending ? n - pending : 0;
  const size_t start = lines_.size() > from_lines ? lines_.size() - from_lines : 0;
  for (size_t i = start; i < lines_.size(); ++i) out.push_back(lines_[i].text);
  if (pending && n > 0) out.push_back(partial_);
  return out;
}

}  // namespace atoll_os::host
