// Tests of the stream framer: frames cut from arbitrary chunking, absurd lengths refused.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "ipcm/stream_framer.h"
#include "ipcm_wire_samples.h"

namespace atoll_os::servers::ipcm {
namespace {

using Bytes = std::vector<uint8_t>;

// Feeds `stream` in chunks of the given sizes (cycled); returns the frames cut out.
std::vector<Bytes> cut(StreamFramer& framer, const Bytes& stream,
                       const std::vector<size_t>& sizes) {
  std::vector<Bytes> frames;
  size_t at = 0;
  for (size_t i = 0; at < stream.size(); ++i) {
    size_t size = std::min(sizes[i % sizes.size()], stream.size() - at);
    std::span<const uint8_t> chunk(stream.data() + at, size);
    at += size;
    while (!chunk.empty()) {
      Result<size_t> used = framer.feed(chunk);
      if (!used.ok()) return frames;
      chunk = chunk.subspan(*used);
      if (framer.frame_ready()) {
        frames.emplace_back(framer.frame().begin(), framer.frame().end());
        framer.next();
      }
    }
  }
  return frames;
}

Bytes every_kind_stream(std::vector<Bytes>& frames) {
  Bytes stream;
  for (int round = 0; round < 3; ++round) {
    for (wire::Kind kind : wire::every_kind()) {
      frames.push_back(wire::encoded(wire::sample_frame(kind)));
      stream.insert(stream.end(), frames.back().begin(), frames.back().end());
    }
  }
  return stream;
}

TEST(IpcmStreamFramer, WholeStreamAtOnce) {
  std::vector<Bytes> sent;
  Bytes stream = every_kind_stream(sent);
  StreamFramer framer;
  EXPECT_EQ(cut(framer, stream, {stream.size()}), sent);
  EXPECT_FALSE(framer.failed());
}

TEST(IpcmStreamFramer, ByteByByteAndRandomChunks) {
  std::vector<Bytes> sent;
  Bytes stream = every_kind_stream(sent);
  StreamFramer one_by_one;
  EXPECT_EQ(cut(one_by_one, stream, {1}), sent);
  std::mt19937 random(5);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<size_t> sizes;
    for (int i = 0; i < 16; ++i) sizes.push_back(random() % 700 + 1);
    StreamFramer framer;
    EXPECT_EQ(cut(framer, stream, sizes), sent) << "trial " << trial;
  }
}

TEST(IpcmStreamFramer, StopsAtTheEndOfEachFrame) {
  Bytes a = wire::encoded(wire::sample_frame(wire::Kind::kData));
  Bytes b = wire::encoded(wire::sample_frame(wire::Kind::kAck));
  Bytes both = a;
  both.insert(both.end(), b.begin(), b.end());
  StreamFramer framer;
  Result<size_t> used = framer.feed(both);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, a.size());
  ASSERT_TRUE(framer.frame_ready());
  EXPECT_EQ(framer.feed(both).error(), Error::kBusy);  // next() first
  framer.next();
  EXPECT_EQ(*framer.feed(std::span<const uint8_t>(both).subspan(a.size())), b.size());
  EXPECT_TRUE(framer.frame_ready());
}

TEST(IpcmStreamFramer, AbsurdLengthIsRefusedBeforeItsPayload) {
  Bytes header = wire::encoded(wire::sample_frame(wire::Kind::kData));
  header.resize(wire::kHeaderSize);
  header[12] = 0xff;
  header[13] = 0xff;
  header[14] = 0xff;
  header[15] = 0x7f;
  StreamFramer framer;
  EXPECT_EQ(framer.feed(header).error(), Error::kBadFormat);
  EXPECT_TRUE(framer.failed());
  EXPECT_STREQ(framer.reason(), "payload length over the maximum");
  Bytes good = wire::encoded(wire::sample_frame(wire::Kind::kAck));
  EXPECT_EQ(framer.feed(good).error(), Error::kBadFormat);  // stays failed
}

TEST(IpcmStreamFramer, ForeignStreamIsRefused) {
  Bytes http(wire::kHeaderSize, ' ');
  StreamFramer framer;
  EXPECT_EQ(framer.feed(http).error(), Error::kBadFormat);
  EXPECT_STREQ(framer.reason(), "bad magic");
}

}  // namespace
}  // namespace atoll_os::servers::ipcm
