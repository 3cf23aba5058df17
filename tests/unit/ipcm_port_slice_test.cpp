// Tests of the ipcm slice codec: a round trip, and every malformed body refused with a reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ipcm/port_slice.h"

namespace atoll_os::servers::ipcm {
namespace {

PortSlice two_ports() {
  PortSlice slice{};
  slice.pid = 0x1'0000'0000'0004;
  slice.port_count = 2;
  slice.ports[0] = {PortId::make(1, 7), 3, 0x100, 0x101};
  slice.ports[1] = {PortId::make(2, 9), 1, 0x200, 0};  // takes no direct calls
  return slice;
}

std::vector<uint8_t> encoded(const PortSlice& slice) {
  std::vector<uint8_t> out(kPortSliceBodyMax);
  Result<size_t> n = encode(slice, out);
  EXPECT_TRUE(n.ok());
  out.resize(n.value_or(0));
  return out;
}

void put_u64(std::vector<uint8_t>& bytes, size_t at, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) bytes[at + i] = uint8_t(v >> (8 * i));
}

TEST(IpcmPortSlice, RoundTripKeepsEveryField) {
  PortSlice in = two_ports();
  std::vector<uint8_t> bytes = encoded(in);
  EXPECT_EQ(bytes.size(), kPortSliceFixedSize + 2 * kPortWireSize);
  PortSlice out{};
  ASSERT_TRUE(decode(bytes, out).ok());
  EXPECT_EQ(out.pid, in.pid);
  ASSERT_EQ(out.port_count, 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    EXPECT_EQ(out.ports[i].port, in.ports[i].port);
    EXPECT_EQ(out.ports[i].epoch, in.ports[i].epoch);
    EXPECT_EQ(out.ports[i].notification_object, in.ports[i].notification_object);
    EXPECT_EQ(out.ports[i].direct_object, in.ports[i].direct_object);
  }
}

TEST(IpcmPortSlice, AProcessWithoutPortsStillHasASlice) {
  PortSlice in{};
  in.pid = 5;
  std::vector<uint8_t> bytes = encoded(in);
  PortSlice out{};
  ASSERT_TRUE(decode(bytes, out).ok());
  EXPECT_EQ(out.port_count, 0u);
}

TEST(IpcmPortSlice, EveryTruncationIsRefused) {
  std::vector<uint8_t> bytes = encoded(two_ports());
  for (size_t n = 0; n < bytes.size(); ++n) {
    PortSlice out{};
    const char* why = nullptr;
    Result<void> r = decode({bytes.data(), n}, out, &why);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kTruncated) << n;
    EXPECT_NE(why, nullptr);
  }
}

TEST(IpcmPortSlice, MalformedBodiesAreRefusedWithAReason) {
  struct Case {
    size_t offset;
    uint64_t value;
    const char* reason;
  } cases[] = {
      {0, 2, "unknown ipcm slice format"},
      {4, kPortsPerSession + 1, "port count out of range"},
      {8, 0, "no PID"},
      {16, 0, "a port without an id"},
      {16 + 16, 0, "a port without a notification"},
      {16 + 24, 0x100, "one object for two roles"},
      {16 + 32, PortId::make(1, 7).value, "a port listed twice"},
      {16 + 32 + 16, 0x101, "an object shared by two ports"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = encoded(two_ports());
    if (c.offset == 0 || c.offset == 4) {
      for (size_t i = 0; i < 4; ++i) bytes[c.offset + i] = uint8_t(c.value >> (8 * i));
    } else {
      put_u64(bytes, c.offset, c.value);
    }
    PortSlice out{};
    const char* why = nullptr;
    Result<void> r = decode(bytes, out, &why);
    ASSERT_FALSE(r.ok()) << c.reason;
    EXPECT_EQ(r.error(), Error::kBadFormat) << c.reason;
    EXPECT_EQ(std::string(why == nullptr ? "" : why), c.reason);
  }
}

TEST(IpcmPortSlice, TrailingBytesAreRefused) {
  std::vector<uint8_t> bytes = encoded(two_ports());
  bytes.push_back(0);
  PortSlice out{};
  const char* why = nullptr;
  EXPECT_FALSE(decode(bytes, out, &why).ok());
  EXPECT_STREQ(why, "bytes after the last port");
}

TEST(IpcmPortSlice, EncodeRefusesWhatDecodeWouldAndSmallBuffers) {
  PortSlice bad = two_ports();
  bad.ports[1].port = bad.ports[0].port;
  uint8_t out[kPortSliceBodyMax];
  EXPECT_EQ(encode(bad, out).error(), Error::kInvalidArgument);
  EXPECT_EQ(encode(two_ports(), {out, 20}).error(), Error::kOutOfRange);
}

}  // namespace
}  // namespace atoll_os::servers::ipcm
