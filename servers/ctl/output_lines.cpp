// Per-writer line buffers with least-recently-used eviction.
#include "output_lines.h"

namespace atoll_os::servers::ctl {

void OutputLines::emit(Buffer& buffer) {
  sink_(context_, buffer.writer, {buffer.text, buffer.length});
  buffer.length = 0;
}

OutputLines::Buffer& OutputLines::buffer_for(uint64_t writer) {
  Buffer* free = nullptr;
  Buffer* oldest = &buffers_[0];
  for (Buffer& b : buffers_) {
    if (b.used && b.writer == writer) {
      b.last_used = ++clock_;
      return b;
    }
    if (!b.used && free == nullptr) free = &b;
    if (b.used && b.last_used < oldest->last_used) oldest = &b;
  }
  Buffer* chosen = free;
  if (chosen == nullptr) {
    if (oldest->length > 0) emit(*oldest);
    chosen = oldest;
  }
  *chosen = Buffer{};
  chosen->writer = writer;
  chosen->used = true;
  chosen->last_used = ++clock_;
  return *chosen;
}

void OutputLines::write(uint64_t writer, std::string_view text) {
  if (text.empty()) return;
  Buffer& buffer = buffer_for(writer);
  for (char c : text) {
    if (c == '\n') {
      emit(buffer);
      continue;
    }
    if (buffer.length == kLineMax) emit(buffer);
    buffer.text[buffer.length++] = c;
  }
  // A writer with nothing pending holds no buffer.
  if (buffer.length == 0) buffer.used = false;
}

void OutputLines::flush(uint64_t writer) {
  for (Buffer& b : buffers_) {
    if (!b.used || b.writer != writer) continue;
    if (b.length > 0) emit(b);
    b.used = false;
  }
}

}  // namespace atoll_os::servers::ctl
