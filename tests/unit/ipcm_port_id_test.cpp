// Tests of global port ids: field packing, text form, allocation.
#include <gtest/gtest.h>

#include <string>

#include "ipcm/port_id.h"

namespace atoll_os::servers::ipcm {
namespace {

std::string text_of(PortId port) {
  char out[kPortIdTextMax];
  return std::string(out, format_port_id(port, out));
}

TEST(IpcmPortId, PacksOriginNodeAndSerial) {
  PortId port = PortId::make(0xbeef, PortId::kSerialMax);
  EXPECT_EQ(port.origin_node(), 0xbeef);
  EXPECT_EQ(port.serial(), PortId::kSerialMax);
  EXPECT_EQ(port.value, 0xbeefffffffffffffu);
  EXPECT_TRUE(port.valid());
  EXPECT_FALSE(PortId::make(3, 0).valid());
  EXPECT_FALSE(PortId::none().valid());
}

TEST(IpcmPortId, FormatsAndParsesBack) {
  EXPECT_EQ(text_of(PortId::make(3, 17)), "3:17");
  EXPECT_EQ(text_of(PortId::make(65535, PortId::kSerialMax)), "65535:281474976710655");
  for (PortId port : {PortId::make(0, 1), PortId::make(12, 999999), PortId::make(65535, 1)}) {
    Result<PortId> parsed = parse_port_id(text_of(port));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, port);
  }
}

TEST(IpcmPortId, ParseRefusesAnythingElse) {
  for (const char* bad : {"", "3", "3:", ":17", "3:17x", "3 :17", "0x3:17", "3:0x11", "3:0", "a:b",
                          "3:17:1", "-3:17"}) {
    EXPECT_EQ(parse_port_id(bad).error(), Error::kBadFormat) << bad;
  }
  EXPECT_EQ(parse_port_id("65536:1").error(), Error::kOutOfRange);
  EXPECT_EQ(parse_port_id("1:281474976710656").error(), Error::kOutOfRange);
  EXPECT_EQ(parse_port_id("1:99999999999999999999999").error(), Error::kOutOfRange);
}

TEST(IpcmPortId, AllocatorHandsOutEachSerialOnce) {
  PortIdAllocator allocator(9);
  PortId first = allocator.allocate().value();
  PortId second = allocator.allocate().value();
  EXPECT_EQ(first, PortId::make(9, 1));
  EXPECT_EQ(second, PortId::make(9, 2));
}

}  // namespace
}  // namespace atoll_os::servers::ipcm
