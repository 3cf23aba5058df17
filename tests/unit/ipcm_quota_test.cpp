// Tests of per-client accounting: limits per badge, refusal reasons, release.
#include <gtest/gtest.h>

#include <string>

#include "ipcm/quota.h"

namespace atoll_os::servers::ipcm {
namespace {

TEST(IpcmQuota, MessageLimitIsPerClient) {
  ClientQuota quota;
  for (uint32_t i = 0; i < kClientMessagesMax; ++i) ASSERT_EQ(quota.charge(1, 1), Refusal::kNone);
  EXPECT_EQ(quota.charge(1, 1), Refusal::kTooManyMessages);
  EXPECT_EQ(quota.messages(1), kClientMessagesMax);
  EXPECT_EQ(quota.charge(2, 1), Refusal::kNone);  // another client is unaffected
  quota.release(1, 1);
  EXPECT_EQ(quota.charge(1, 1), Refusal::kNone);
}

TEST(IpcmQuota, ByteLimitRefusesWithoutCharging) {
  ClientQuota quota;
  ASSERT_EQ(quota.charge(1, kClientBytesMax - 10), Refusal::kNone);
  EXPECT_EQ(quota.charge(1, 11), Refusal::kTooManyBytes);
  EXPECT_EQ(quota.messages(1), 1u);
  EXPECT_EQ(quota.bytes(1), kClientBytesMax - 10);
  EXPECT_EQ(quota.charge(1, 10), Refusal::kNone);
  EXPECT_EQ(quota.charge(7, kClientBytesMax + 1), Refusal::kTooManyBytes);
  EXPECT_EQ(quota.messages(7), 0u);
}

TEST(IpcmQuota, ClientSlotsAreBoundedAndFreedWhenEmpty) {
  ClientQuota quota;
  for (uint64_t badge = 1; badge <= kQuotaClients; ++badge) {
    ASSERT_EQ(quota.charge(badge, 8), Refusal::kNone);
  }
  EXPECT_EQ(quota.charge(1000, 8), Refusal::kTooManyClients);
  quota.release(5, 8);
  EXPECT_EQ(quota.messages(5), 0u);
  EXPECT_EQ(quota.charge(1000, 8), Refusal::kNone);
  EXPECT_EQ(quota.bytes(1000), 8u);
}

TEST(IpcmQuota, RefusalsHaveNames) {
  EXPECT_EQ(std::string(refusal_name(Refusal::kTooManyMessages)), "too_many_messages");
  EXPECT_EQ(std::string(refusal_name(Refusal::kTooManyBytes)), "too_many_bytes");
  EXPECT_EQ(std::string(refusal_name(Refusal::kTooManyClients)), "too_many_clients");
}

}  // namespace
}  // namespace atoll_os::servers::ipcm
