// Reassembling each process's console output into whole lines, with bounded memory.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

namespace atoll_os::servers::ctl {

/// A line assembled for one writer (the badge of its console handle: its PID).
using LineSink = void (*)(void* context, uint64_t writer, std::string_view line);

/// Writers may split a line over several writes, so each gets a partial-line buffer. The
/// buffers are few: when all are taken, the least recently used writer's partial line is
/// emitted as it is to free one; a line longer than kLineMax is emitted in pieces. So any
/// number of writers costs at most kMaxWriters * kLineMax bytes, and no text is lost.
class OutputLines {
 public:
  static constexpr size_t kMaxWriters = 16;
  static constexpr size_t kLineMax = 512;

  OutputLines(LineSink sink, void* context) : sink_(sink), context_(context) {}

  /// Adds `text` from `writer`; every line it completes goes to the sink.
  void write(uint64_t writer, std::string_view text);
  /// Emits what `writer` has buffered without a newline (it ended) and frees its buffer.
  void flush(uint64_t writer);

 private:
  struct Buffer {
    uint64_t writer;
    uint64_t last_used;
    size_t length;
    bool used;
    char text[kLineMax];
  };
  Buffer& buffer_for(uint64_t writer);
  void emit(Buffer& buffer);

  LineSink sink_;
  void* context_;
  Buffer buffers_[kMaxWriters] = {};
  uint64_t clock_ = 0;
};

}  // namespace atoll_os::servers::ctl
