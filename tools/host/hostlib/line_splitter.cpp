// LineSplitter: newline framing with a per-line bound.
#include "hostlib/line_splitter.h"

namespace atoll_os::host {

void LineSplitter::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (c == '\0') continue;
    if (c == '\n') {
      if (!partial_.empty() && partial_.back() == '\r' && !partial_overlong_) partial_.pop_back();
      lines_.push_back({std::move(partial_), partial_overlong_});
      partial_.clear();
      partial_overlong_ = false;
      continue;
    }
    if (partial_.size() < max_line_) {
      partial_ += c;
    } else {
      partial_overlong_ = true;
    }
  }
}

std::optional<SplitLine> LineSplitter::take() {
  if (lines_.empty()) return std::nullopt;
  SplitLine line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

}  // namespace atoll_os::host
