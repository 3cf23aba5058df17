// Byte-by-byte line assembly with an overflow state.
#include "line_assembler.h"

namespace atoll_os::servers::ctl {

LineAssembler::Status LineAssembler::push(char c) {
  if (complete_) {
    length_ = 0;
    complete_ = false;
  }
  if (c == '\n') {
    if (discarding_) {
      discarding_ = false;
      length_ = 0;
      return Status::kTooLong;
    }
    if (length_ > 0 && buffer_[length_ - 1] == '\r') --length_;
    complete_ = true;
    return Status::kLine;
  }
  if (discarding_) return Status::kPending;
  if (length_ == kLineMax) {
    discarding_ = true;
    return Status::kPending;
  }
  buffer_[length_++] = c;
  return Status::kPending;
}

}  // namespace atoll_os::servers::ctl
