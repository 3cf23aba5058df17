// Tests of the name service: the table's rules and quotas, and the handlers' handle
// bookkeeping over a fake kernel.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "names/name_service.h"
#include "names/name_table.h"

namespace atoll_os::servers::names {
namespace {

using protocols::Call;

TEST(NameTable, ValidNames) {
  EXPECT_TRUE(NameTable::valid_name("pm"));
  EXPECT_TRUE(NameTable::valid_name(std::string(31, 'a')));
  EXPECT_FALSE(NameTable::valid_name(std::string(32, 'a')));
  EXPECT_FALSE(NameTable::valid_name(""));
  EXPECT_FALSE(NameTable::valid_name("a b"));
  EXPECT_FALSE(NameTable::valid_name("tab\t"));
  EXPECT_FALSE(NameTable::valid_name("\x80"));
}

TEST(NameTable, AddFindRemoveWithOwnership) {
  NameTable table;
  ASSERT_TRUE(table.add(1, "echo", 10).ok());
  EXPECT_EQ(table.add(2, "echo", 11).error(), Error::kAlreadyExists);
  EXPECT_EQ(*table.find("echo"), 10u);
  EXPECT_EQ(table.find("ech").error(), Error::kNotFound);
  EXPECT_EQ(table.remove(2, "echo").error(), Error::kAccessDenied);
  EXPECT_EQ(*table.remove(1, "echo"), 10u);
  EXPECT_EQ(table.find("echo").error(), Error::kNotFound);
  EXPECT_EQ(table.remove(1, "echo").error(), Error::kNotFound);
  EXPECT_EQ(table.size(), 0u);
}

TEST(NameTable, PerOwnerQuotaAndTableLimit) {
  NameTable table;
  for (size_t i = 0; i < kMaxNamesPerOwner; ++i) {
    ASSERT_TRUE(table.add(7, "n" + std::to_string(i), static_cast<abi::Handle>(i + 1)).ok());
  }
  EXPECT_EQ(table.add(7, "one-more", 99).error(), Error::kOutOfMemory);
  EXPECT_TRUE(table.add(8, "other-owner", 99).ok());  // the quota is per owner

  NameTable full;
  for (size_t i = 0; i < kMaxNames; ++i) {
    ASSERT_TRUE(full.add(i / kMaxNamesPerOwner, "n" + std::to_string(i), 1).ok());
  }
  EXPECT_EQ(full.add(999, "late", 1).error(), Error::kOutOfMemory);
}

TEST(NameTable, RemoveOwnerReturnsEveryEndpoint) {
  NameTable table;
  ASSERT_TRUE(table.add(5, "a", 1).ok());
  ASSERT_TRUE(table.add(6, "b", 2).ok());
  ASSERT_TRUE(table.add(5, "c", 3).ok());
  abi::Handle out[kMaxNamesPerOwner];
  ASSERT_EQ(table.remove_owner(5, out), 2u);
  EXPECT_EQ(out[0] + out[1], 4u);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.find("b").ok());
  EXPECT_EQ(table.remove_owner(5, out), 0u);
}

class FakeNamesKernel final : public NamesKernel {
 public:
  Result<abi::HandleInfo> info(abi::Handle handle) override {
    auto it = objects.find(handle);
    if (it == objects.end()) return Err(Error::kBadHandle);
    return it->second;
  }
  Result<abi::Handle> duplicate(abi::Handle handle, uint32_t rights) override {
    abi::HandleInfo source = TRY(info(handle));
    if ((rights & source.rights) != rights) return Err(Error::kAccessDenied);
    abi::Handle copy = next++;
    objects[copy] = {source.type, rights, source.badge, source.object_id};
    return copy;
  }
  void close(abi::Handle handle) override {
    closed.push_back(handle);
    objects.erase(handle);
  }

  std::map<abi::Handle, abi::HandleInfo> objects;
  std::vector<abi::Handle> closed;
  abi::Handle next = 1000;
};

protocols::names::NameRequest named(const char* text) {
  protocols::names::NameRequest request{};
  std::strncpy(request.name, text, sizeof(request.name));
  return request;
}

class NameServiceTest : public ::testing::Test {
 protected:
  Call call_from(uint64_t badge, abi::Handle handle = abi::kNoHandle) {
    Call call;
    call.badge = badge;
    if (handle != abi::kNoHandle) call.received.add(handle);
    return call;
  }
  void endpoint(abi::Handle h, uint32_t rights) {
    kernel_.objects[h] = {abi::ObjectType::kEndpoint, rights, 0, h};
  }

  FakeNamesKernel kernel_;
  NameService service_{kernel_};
};

TEST_F(NameServiceTest, RegisterLookupUnregister) {
  endpoint(10, abi::kRightsAll);
  Call reg = call_from(42, 10);
  ASSERT_TRUE(service_.register_name(named("echo"), reg).ok());
  EXPECT_EQ(reg.received.values[0], abi::kNoHandle);  // the table keeps it

  Call look = call_from(43);
  ASSERT_TRUE(service_.lookup(named("echo"), look).ok());
  ASSERT_EQ(look.reply.count, 1u);
  abi::HandleInfo copy = *kernel_.info(look.reply.values[0]);
  EXPECT_EQ(copy.rights, kLookupRights);  // callers cannot mint badges
  EXPECT_EQ(copy.object_id, 10u);

  Call stranger = call_from(43);
  EXPECT_EQ(service_.unregister(named("echo"), stranger).error(), Error::kAccessDenied);
  Call owner = call_from(42);
  ASSERT_TRUE(service_.unregister(named("echo"), owner).ok());
  EXPECT_EQ(kernel_.closed, std::vector<abi::Handle>{10});
  Call again = call_from(43);
  EXPECT_EQ(service_.lookup(named("echo"), again).error(), Error::kNotFound);
  EXPECT_STREQ(again.reason, "no such name");
}

TEST_F(NameServiceTest, RefusedRegistrationsLeaveTheHandleForClosing) {
  endpoint(10, abi::kRightWrite);  // no duplicate right: lookups could not copy it
  Call weak = call_from(1, 10);
  EXPECT_EQ(service_.register_name(named("x"), weak).error(), Error::kAccessDenied);
  EXPECT_EQ(weak.received.values[0], 10u);

  kernel_.objects[11] = {abi::ObjectType::kNotification, abi::kRightsAll, 0, 11};
  Call notification = call_from(1, 11);
  EXPECT_EQ(service_.register_name(named("x"), notification).error(), Error::kInvalidArgument);

  Call none = call_from(1);
  EXPECT_EQ(service_.register_name(named("x"), none).error(), Error::kInvalidArgument);

  endpoint(12, abi::kRightsAll);
  protocols::names::NameRequest unterminated;
  std::memset(unterminated.name, 'a', sizeof(unterminated.name));
  Call bad_name = call_from(1, 12);
  EXPECT_EQ(service_.register_name(unterminated, bad_name).error(), Error::kInvalidArgument);
  EXPECT_EQ(bad_name.received.values[0], 12u);
  EXPECT_EQ(service_.table().size(), 0u);
}

TEST_F(NameServiceTest, ReleaseOwnerIsForTheSystemOnly) {
  endpoint(10, abi::kRightsAll);
  endpoint(11, abi::kRightsAll);
  Call a = call_from(42, 10);
  Call b = call_from(42, 11);
  ASSERT_TRUE(service_.register_name(named("a"), a).ok());
  ASSERT_TRUE(service_.register_name(named("b"), b).ok());
  Call forged = call_from(42);
  EXPECT_EQ(service_.release_owner({42}, forged).error(), Error::kAccessDenied);
  Call system = call_from(protocols::kSystemBadge);
  Result<protocols::names::ReleaseReply> released = service_.release_owner({42}, system);
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->released, 2u);
  EXPECT_EQ(kernel_.closed.size(), 2u);
  EXPECT_EQ(service_.table().size(), 0u);
}

}  // namespace
}  // namespace atoll_os::servers::names
