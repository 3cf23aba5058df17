// Text and numbers appended to a fixed buffer, cut where it ends: the reasons servers give
// with a refusal and the figures they print, without a formatter or allocation.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::servers {

/// Writes into `out` (capacity bytes, always NUL-terminated; what does not fit is dropped).
class TextWriter {
 public:
  TextWriter(char* out, size_t capacity) : out_(out), capacity_(capacity) {
    if (capacity_ != 0) out_[0] = '\0';
  }
  template <size_t N>
  explicit TextWriter(char (&out)[N]) : TextWriter(out, N) {}

  TextWriter& text(const char* s) {
    while (*s != '\0') put(*s++);
    return *this;
  }
  TextWriter& decimal(uint64_t v) {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = char('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
    return *this;
  }
  TextWriter& hex(uint64_t v) {
    text("0x");
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0) shift -= 4;
    for (; shift >= 0; shift -= 4) put("0123456789abcdef"[(v >> shift) & 0xf]);
    return *this;
  }
  /// Thousandths as a decimal with three places: 1500 is "1.500" (loads).
  TextWriter& milli(uint64_t v) {
    decimal(v / 1000).text(".");
    for (uint64_t unit = 100; unit != 0; unit /= 10) put(char('0' + v / unit % 10));
    return *this;
  }

 private:
  void put(char c) {
    if (used_ + 1 >= capacity_) return;
    out_[used_++] = c;
    out_[used_] = '\0';
  }
  char* out_;
  size_t capacity_;
  size_t used_ = 0;
};

}  // namespace atoll_os::servers
