// Stream framing of ipcm frames.
#include "stream_framer.h"

namespace atoll_os::servers::ipcm {

Result<void> StreamFramer::check_header() {
  wire::Header header;
  const char* why = nullptr;
  Result<void> checked = wire::decode_header({buffer_, wire::kHeaderSize}, header, why);
  if (!checked.ok()) {
    reason_ = why;
    return checked;
  }
  expected_ = wire::kHeaderSize + header.payload_length;
  return success();
}

Result<size_t> StreamFramer::feed(std::span<const uint8_t> chunk) {
  if (failed()) return Err(Error::kBadFormat);
  if (frame_ready()) return Err(Error::kBusy);  // next() first
  size_t goal = expected_ != 0 ? expected_ : wire::kHeaderSize;
  size_t take = goal - used_ < chunk.size() ? goal - used_ : chunk.size();
  if (take != 0) __builtin_memcpy(buffer_ + used_, chunk.data(), take);
  used_ += take;
  if (expected_ == 0 && used_ == wire::kHeaderSize) {
    TRY(check_header());
    if (frame_ready()) return take;  // a frame without payload
    // The payload may already be in this chunk.
    size_t more = TRY(feed(chunk.subspan(take)));
    return take + more;
  }
  return take;
}

void StreamFramer::next() {
  used_ = 0;
  expected_ = 0;
}

}  // namespace atoll_os::servers::ipcm
