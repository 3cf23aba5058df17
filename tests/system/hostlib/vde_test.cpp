// VdeSwitch and VdePort against a real vde_switch (no QEMU): raw frames cross the switch.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "hostlib/vde_port.h"
#include "hostlib/vde_switch.h"
#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

using std::chrono::milliseconds;

// A frame from `source` to `destination` (6-byte MACs differing in the last byte), with
// an EtherType and `payload_size` bytes that count up.
std::vector<uint8_t> frame(uint8_t destination, uint8_t source, size_t payload_size) {
  std::vector<uint8_t> f = {0x52, 0x54, 0x00, 0x77,   0x01, destination, 0x52, 0x54,
                            0x00, 0x77, 0x01, source, 0x88, 0xb5};  // local experimental EtherType
  for (size_t i = 0; i < payload_size; ++i) f.push_back(static_cast<uint8_t>(i));
  return f;
}

class VdeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = VdeSwitch::create(tmp_.path() / "vde");
    ASSERT_TRUE(is_ok(created));
    switch_ = created.release_value();
    ASSERT_TRUE(is_ok(switch_->start()));
  }

  TempDir tmp_;
  std::unique_ptr<VdeSwitch> switch_;
};

TEST_F(VdeTest, TwoPortsExchangeFramesByteForByte) {
  auto a = VdePort::open(switch_->dir(), "test-a");
  auto b = VdePort::open(switch_->dir(), "test-b");
  ASSERT_TRUE(is_ok(a));
  ASSERT_TRUE(is_ok(b));
  // b speaks first so that the switch learns where its address is.
  const auto hello = frame(0xff, 0x0b, 46);
  ASSERT_TRUE(is_ok(b->send(hello)));
  auto at_a = a->receive(milliseconds(2000));
  ASSERT_TRUE(is_ok(at_a));
  EXPECT_EQ(*at_a, hello);

  const auto reply = frame(0x0b, 0x0a, 1500);
  ASSERT_TRUE(is_ok(a->send(reply)));
  auto at_b = b->receive(milliseconds(2000));
  ASSERT_TRUE(is_ok(at_b));
  EXPECT_EQ(*at_b, reply);
}

TEST_F(VdeTest, ReceiveTimesOutWhenNothingComes) {
  auto a = VdePort::open(switch_->dir());
  ASSERT_TRUE(is_ok(a));
  EXPECT_EQ(a->receive(milliseconds(50)).error(), Error::kTimedOut);
}

TEST_F(VdeTest, RuntFramesPassWholeAndOversizedOnesArriveCut) {
  auto a = VdePort::open(switch_->dir());
  auto b = VdePort::open(switch_->dir());
  ASSERT_TRUE(is_ok(a));
  ASSERT_TRUE(is_ok(b));
  // Shorter than Ethernet's 60-byte minimum, and exactly the longest the switch forwards.
  for (size_t payload : {size_t{2}, kVdeSwitchMaxFrame - 14}) {
    const auto sent = frame(0xff, 0x0a, payload);
    ASSERT_TRUE(is_ok(a->send(sent)));
    auto got = b->receive(milliseconds(2000));
    ASSERT_TRUE(is_ok(got)) << payload;
    EXPECT_TRUE(*got == sent) << "a " << sent.size() << "-byte frame arrived as " << got->size();
  }
  const auto oversized = frame(0xff, 0x0a, 4000);
  ASSERT_TRUE(is_ok(a->send(oversized)));
  auto cut = b->receive(milliseconds(2000));
  ASSERT_TRUE(is_ok(cut));
  EXPECT_TRUE(std::equal(cut->begin(), cut->end(), oversized.begin()));
  EXPECT_EQ(cut->size(), kVdeSwitchMaxFrame);
  EXPECT_EQ(a->send(std::vector<uint8_t>(kVdeMaxFrame + 1)).error(), Error::kOutOfRange);
}

TEST_F(VdeTest, ManagementCommandsAnswerAndRefuse) {
  auto ports =
      vde_management_command(switch_->management_socket(), "port/print", milliseconds(2000));
  ASSERT_TRUE(is_ok(ports));
  EXPECT_NE(ports->find("1000 Success"), std::string::npos) << *ports;
  EXPECT_EQ(
      vde_management_command(switch_->management_socket(), "no/such", milliseconds(2000)).error(),
      Error::kInvalidArgument);
}

TEST(VdeSwitchTest, ADeepDirectoryIsReplacedByATemporaryOne) {
  TempDir tmp;
  const auto deep = tmp.path() / std::string(100, 'd') / "vde";
  std::filesystem::path used;
  {
    auto created = VdeSwitch::create(deep);
    ASSERT_TRUE(is_ok(created));
    VdeSwitch& vde = **created;
    used = vde.dir();
    EXPECT_NE(used, deep);
    ASSERT_TRUE(is_ok(vde.start()));
    auto port = VdePort::open(vde.dir());
    EXPECT_TRUE(is_ok(port));
  }
  EXPECT_FALSE(std::filesystem::exists(used));
}

TEST_F(VdeTest, StoppingTheSwitchRemovesItsSockets) {
  ASSERT_TRUE(std::filesystem::exists(switch_->socket_dir() / "ctl"));
  EXPECT_TRUE(switch_->running());
  switch_->stop();
  EXPECT_FALSE(switch_->running());
  EXPECT_FALSE(std::filesystem::exists(switch_->socket_dir() / "ctl"));
  EXPECT_EQ(VdePort::open(switch_->dir()).error(), Error::kNotFound);
}

}  // namespace
}  // namespace atoll_os::host::testing
