// Cuts a TCP byte stream into whole ipcm frames, whatever chunks the bytes arrive in.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/result.h"
#include "wire.h"

namespace atoll_os::servers::ipcm {

/// A frame is self-delimiting: its fixed-size header carries the payload length. The framer
/// checks each header as soon as it is complete, so a stream announcing an absurd length (or
/// not speaking this protocol at all) is refused before its payload is awaited. After a
/// refusal the stream is out of step for good: the framer stays failed and the connection
/// must be closed.
class StreamFramer {
 public:
  /// Takes bytes from the front of `chunk` up to the end of the next frame; returns how many
  /// it took. When frame_ready(), the caller handles frame() and calls next() before feeding
  /// more (kBusy otherwise). kBadFormat (with reason()) if the stream is not a valid frame
  /// sequence.
  Result<size_t> feed(std::span<const uint8_t> chunk);

  bool frame_ready() const { return expected_ != 0 && used_ == expected_; }
  /// The complete frame's bytes, header included; valid until next().
  std::span<const uint8_t> frame() const { return {buffer_, used_}; }
  void next();

  bool failed() const { return reason_ != nullptr; }
  const char* reason() const { return reason_; }

 private:
  Result<void> check_header();

  uint8_t buffer_[wire::kFrameMax];
  size_t used_ = 0;
  size_t expected_ = 0;  // the whole frame's size once its header is in, else 0
  const char* reason_ = nullptr;
};

}  // namespace atoll_os::servers::ipcm
