// Tests of the ipcm wire codec: round trips, the byte layout, and every malformed frame.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ipcm/wire.h"
#include "ipcm_wire_samples.h"

namespace atoll_os::servers::ipcm::wire {
namespace {

using Bytes = std::vector<uint8_t>;

void put_le(Bytes& bytes, size_t offset, uint64_t value, size_t size) {
  for (size_t i = 0; i < size; ++i) bytes[offset + i] = uint8_t(value >> (8 * i));
}

// Decodes `bytes`, expecting `error`; returns the reason.
std::string rejection(const Bytes& bytes, Error error = Error::kBadFormat) {
  Frame frame;
  const char* reason = nullptr;
  Result<void> result = decode(bytes, frame, reason);
  EXPECT_EQ(result.error(), error);
  EXPECT_NE(reason, nullptr);
  return reason == nullptr ? "" : reason;
}

TEST(IpcmWire, EveryKindRoundTrips) {
  for (Kind kind : every_kind()) {
    Frame sent = sample_frame(kind);
    Bytes bytes = encoded(sent);
    Frame got;
    const char* reason = nullptr;
    ASSERT_TRUE(decode(bytes, got, reason).ok()) << kind_name(kind) << ": " << reason;
    EXPECT_EQ(got.header.kind, kind);
    EXPECT_EQ(got.header.sender_node, 3);
    EXPECT_EQ(got.header.receiver_node, 5);
    EXPECT_EQ(got.header.sender_incarnation, 0x1122334455667788u);
    EXPECT_EQ(got.header.receiver_incarnation, 0x99u);
    EXPECT_EQ(got.header.sequence, sent.header.sequence);
    EXPECT_EQ(got.header.ack, 41u);
    EXPECT_EQ(got.header.payload_length, bytes.size() - kHeaderSize);
    EXPECT_EQ(encoded(got), bytes) << kind_name(kind);  // every field survived
  }
}

TEST(IpcmWire, BodiesDecodeToTheirFields) {
  Frame data = sample_frame(Kind::kData);
  Frame got;
  const char* reason = nullptr;
  ASSERT_TRUE(decode(encoded(data), got, reason).ok());
  EXPECT_EQ(got.data.destination, data.data.destination);
  EXPECT_EQ(got.data.reply, PortId::make(3, 7));
  EXPECT_EQ(got.data.label, 0xdeadbeefu);
  EXPECT_EQ(got.data.flags, kDataAfterMove);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(got.data.bytes), got.data.length), "hello");
  ASSERT_TRUE(decode(encoded(sample_frame(Kind::kLookup)), got, reason).ok());
  EXPECT_EQ(got.lookup.name.view(), "echo");
  ASSERT_TRUE(decode(encoded(sample_frame(Kind::kPortMoved)), got, reason).ok());
  EXPECT_EQ(got.port_moved.node, 4);
  EXPECT_EQ(got.port_moved.epoch, 9u);
}

TEST(IpcmWire, HeaderLayoutIsLittleEndianAtFixedOffsets) {
  Bytes bytes = encoded(sample_frame(Kind::kPortDead));
  ASSERT_EQ(bytes.size(), kHeaderSize + 8);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "AIPC");
  EXPECT_EQ(bytes[4], kVersion);
  EXPECT_EQ(bytes[5], uint8_t(Kind::kPortDead));
  EXPECT_EQ(bytes[8], 3);      // sender node
  EXPECT_EQ(bytes[10], 5);     // receiver node
  EXPECT_EQ(bytes[12], 8);     // payload length
  EXPECT_EQ(bytes[16], 0x88);  // sender incarnation, low byte first
  EXPECT_EQ(bytes[23], 0x11);
  EXPECT_EQ(bytes[32], 42);    // sequence
  EXPECT_EQ(bytes[40], 41);    // ack
  EXPECT_EQ(bytes[48], 0x9a);  // the port id's low byte
}

TEST(IpcmWire, FullDataBodyFitsAndOneMoreIsRefused) {
  Frame f = sample_frame(Kind::kData);
  f.data.length = kDataBytesMax;
  Bytes bytes = encoded(f);
  EXPECT_EQ(bytes.size(), kFrameMax);
  f.data.length = kDataBytesMax + 1;
  Bytes out(kFrameMax + 8);
  EXPECT_EQ(encode(f, out).error(), Error::kInvalidArgument);
}

TEST(IpcmWire, EncoderRefusesShortBuffersAndBadFrames) {
  for (Kind kind : every_kind()) {
    Bytes full = encoded(sample_frame(kind));
    for (size_t size = 0; size < full.size(); ++size) {
      Bytes out(size);
      EXPECT_EQ(encode(sample_frame(kind), out).error(), Error::kOutOfRange);
    }
  }
  Bytes out(kFrameMax);
  Frame f = sample_frame(Kind::kLookup);
  f.lookup.name.length = 0;
  EXPECT_EQ(encode(f, out).error(), Error::kInvalidArgument);
  f.header.kind = Kind(0);
  EXPECT_EQ(encode(f, out).error(), Error::kInvalidArgument);
  EXPECT_EQ(Name::from("a b").error(), Error::kInvalidArgument);
  EXPECT_EQ(Name::from(std::string(kNameMax + 1, 'a')).error(), Error::kInvalidArgument);
}

TEST(IpcmWire, TruncationAtEveryByteIsTruncated) {
  for (Kind kind : every_kind()) {
    Bytes full = encoded(sample_frame(kind));
    for (size_t size = 0; size < full.size(); ++size) {
      Bytes part(full.begin(), full.begin() + long(size));
      rejection(part, Error::kTruncated);
    }
  }
}

TEST(IpcmWire, TrailingBytesAreRefused) {
  Bytes bytes = encoded(sample_frame(Kind::kAck));
  bytes.push_back(0);
  EXPECT_EQ(rejection(bytes), "trailing bytes after the frame");
}

TEST(IpcmWire, HeaderFieldsAreChecked) {
  Bytes good = encoded(sample_frame(Kind::kPortDead));
  for (size_t i = 0; i < 4; ++i) {
    Bytes bad = good;
    bad[i] ^= 0x20;
    EXPECT_EQ(rejection(bad), "bad magic");
  }
  for (uint8_t version : {0, 2, 255}) {
    Bytes bad = good;
    bad[4] = version;
    EXPECT_EQ(rejection(bad), "unknown version");
  }
  for (uint8_t kind : {0, kKindLast + 1, 255}) {
    Bytes bad = good;
    bad[5] = kind;
    EXPECT_EQ(rejection(bad), "unknown kind");
  }
  Bytes flags = good;
  flags[7] = 0x80;
  EXPECT_EQ(rejection(flags), "reserved flags set");
  Bytes huge = good;
  put_le(huge, 12, kPayloadMax + 1, 4);
  EXPECT_EQ(rejection(huge), "payload length over the maximum");
  put_le(huge, 12, 0xffffffff, 4);
  EXPECT_EQ(rejection(huge), "payload length over the maximum");
}

TEST(IpcmWire, SequenceNumbersMatchTheKind) {
  Bytes data = encoded(sample_frame(Kind::kData));
  put_le(data, 32, 0, 8);
  EXPECT_EQ(rejection(data), "sequenced kind numbered 0");
  Bytes ack = encoded(sample_frame(Kind::kAck));
  put_le(ack, 32, 1, 8);
  EXPECT_EQ(rejection(ack), "unsequenced kind numbered");
}

TEST(IpcmWire, PayloadLengthMustMatchTheKind) {
  for (Kind kind : every_kind()) {
    Bytes good = encoded(sample_frame(kind));
    Bytes longer = good;
    longer.push_back(0);
    put_le(longer, 12, good.size() - kHeaderSize + 1, 4);
    rejection(longer);
    if (good.size() == kHeaderSize) continue;
    Bytes shorter(good.begin(), good.end() - 1);
    put_le(shorter, 12, good.size() - kHeaderSize - 1, 4);
    rejection(shorter);
  }
  Bytes ack = encoded(sample_frame(Kind::kAck));
  ack.push_back(0);
  put_le(ack, 12, 1, 4);
  EXPECT_EQ(rejection(ack), "payload longer than its kind needs");
  Bytes dead = encoded(sample_frame(Kind::kPortDead));
  dead.pop_back();
  put_le(dead, 12, 7, 4);
  EXPECT_EQ(rejection(dead), "payload shorter than its kind needs");
}

TEST(IpcmWire, DataBodyIsChecked) {
  Bytes good = encoded(sample_frame(Kind::kData));
  const size_t body = kHeaderSize;
  Bytes length = good;
  put_le(length, body + 32, 6, 2);  // says 6 bytes, carries 5
  EXPECT_EQ(rejection(length), "data length disagrees with payload length");
  Bytes oversized = good;
  put_le(oversized, body + 32, kDataBytesMax + 1, 2);
  EXPECT_EQ(rejection(oversized), "data body too long");
  Bytes destination = good;
  put_le(destination, body, 0, 6);  // serial 0
  EXPECT_EQ(rejection(destination), "port id with serial 0");
  Bytes reply = good;
  put_le(reply, body + 8, 0, 6);  // a node but serial 0: neither none nor a port
  EXPECT_EQ(rejection(reply), "port id with serial 0");
  Bytes flags = good;
  put_le(flags, body + 30, 0x8000, 2);
  EXPECT_EQ(rejection(flags), "unknown data flags");
  Bytes no_reply = good;
  put_le(no_reply, body + 8, 0, 8);
  Frame frame;
  const char* reason = nullptr;
  EXPECT_TRUE(decode(no_reply, frame, reason).ok());
  EXPECT_FALSE(frame.data.reply.valid());
}

TEST(IpcmWire, NamesAreChecked) {
  Bytes good = encoded(sample_frame(Kind::kRegister));
  const size_t length_at = kHeaderSize + 8;
  Bytes empty = good;
  empty[length_at] = 0;
  EXPECT_EQ(rejection(empty), "name length out of range");
  Bytes long_name = good;
  long_name[length_at] = kNameMax + 1;
  EXPECT_EQ(rejection(long_name), "name length out of range");
  Bytes space = good;
  space[length_at + 2] = ' ';
  EXPECT_EQ(rejection(space), "name has a bad character");
  Bytes high = good;
  high[length_at + 1] = 0x80;
  EXPECT_EQ(rejection(high), "name has a bad character");
  Bytes disagree = good;
  disagree[length_at] = 3;  // the payload still carries 4 characters
  EXPECT_EQ(rejection(disagree), "payload longer than its kind needs");
  Bytes lookup = encoded(sample_frame(Kind::kLookup));
  lookup[kHeaderSize + 4] = 9;  // more characters than the payload holds
  EXPECT_EQ(rejection(lookup), "payload shorter than its kind needs");
}

TEST(IpcmWire, PortIdsOfEveryKindAreChecked) {
  for (Kind kind :
       {Kind::kRegister, Kind::kUnregister, Kind::kPortMoved, Kind::kPortDead, Kind::kPortFlush}) {
    Bytes bad = encoded(sample_frame(kind));
    put_le(bad, kHeaderSize, 0, 8);
    EXPECT_EQ(rejection(bad), "port id with serial 0") << kind_name(kind);
  }
}

TEST(IpcmWire, LookupRepliesAreConsistent) {
  Bytes good = encoded(sample_frame(Kind::kLookupReply));
  Bytes status = good;
  put_le(status, kHeaderSize + 4, 13, 4);
  EXPECT_EQ(rejection(status), "unknown lookup status");
  Bytes ok_without_port = good;
  put_le(ok_without_port, kHeaderSize + 8, 0, 8);
  EXPECT_EQ(rejection(ok_without_port), "port id with serial 0");
  Bytes failed_with_port = good;
  put_le(failed_with_port, kHeaderSize + 4, uint32_t(Error::kNotFound), 4);
  EXPECT_EQ(rejection(failed_with_port), "failed lookup names a port");
  put_le(failed_with_port, kHeaderSize + 8, 0, 8);
  Frame frame;
  const char* reason = nullptr;
  ASSERT_TRUE(decode(failed_with_port, frame, reason).ok());
  EXPECT_EQ(frame.lookup_reply.status, Error::kNotFound);
}

}  // namespace
}  // namespace atoll_os::servers::ipcm::wire
