// Invariants of the ipcm wire decoder and stream framer over arbitrary bytes.
#include "ipcm_wire_fuzz_entry.h"

#include <cstring>
#include <vector>

#include "ipcm/stream_framer.h"
#include "ipcm/wire.h"

namespace atoll_os::servers::ipcm {
namespace {

void require(bool holds) {
  if (!holds) __builtin_trap();
}

// A decoded frame is canonical: encoding it gives back exactly the input.
void check_decoder(const uint8_t* data, size_t size) {
  // A copy of exactly `size` bytes, so that ASan sees any read past the end.
  std::vector<uint8_t> input(data, data + size);
  wire::Frame frame;
  const char* reason = nullptr;
  Result<void> decoded = wire::decode(input, frame, reason);
  if (!decoded.ok()) {
    require(reason != nullptr);
    require(decoded.error() == Error::kBadFormat || decoded.error() == Error::kTruncated);
    return;
  }
  uint8_t again[wire::kFrameMax];
  Result<size_t> length = wire::encode(frame, again);
  require(length.ok() && *length == size && std::memcmp(again, input.data(), size) == 0);
}

// The first byte picks the chunk sizes; the rest is the stream.
void check_framer(const uint8_t* data, size_t size) {
  if (size == 0) return;
  size_t chunk_size = data[0] % 61 + 1;
  std::vector<uint8_t> stream(data + 1, data + size);
  StreamFramer framer;
  size_t at = 0;
  while (at < stream.size()) {
    size_t end = at + chunk_size < stream.size() ? at + chunk_size : stream.size();
    std::vector<uint8_t> chunk(stream.begin() + long(at), stream.begin() + long(end));
    std::span<const uint8_t> rest(chunk);
    while (!rest.empty()) {
      Result<size_t> used = framer.feed(rest);
      if (!used.ok()) {
        require(framer.failed() && framer.reason() != nullptr);
        return;
      }
      require(*used <= rest.size());
      rest = rest.subspan(*used);
      if (!framer.frame_ready()) continue;
      wire::Header header;
      const char* reason = nullptr;
      require(wire::decode_header(framer.frame(), header, reason).ok());
      require(framer.frame().size() == wire::kHeaderSize + header.payload_length);
      check_decoder(framer.frame().data(), framer.frame().size());
      framer.next();
    }
    at = end;
  }
}

}  // namespace

void fuzz_wire_input(const uint8_t* data, size_t size) {
  check_decoder(data, size);
  check_framer(data, size);
}

}  // namespace atoll_os::servers::ipcm
