// Tests for kernel objects' reference counts and the handle table: lookups with type and
// rights, stale generations, growth and its limit, revocation trees and teardown.
#include "object/handle_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "object/kernel_object.h"

namespace atoll_os::kernel {
namespace {

using abi::kRightDuplicate;
using abi::kRightRead;
using abi::kRightsAll;
using abi::kRightTransfer;
using abi::kRightWrite;

constexpr uint32_t kSlotMask = 0xffff;

// A kernel object that counts its destructions, so tests see exactly when the last
// reference goes.
class Probe final : public KernelObject {
 public:
  static Probe* create(ObjectType type = ObjectType::kEndpoint) { return new Probe(type); }
  static inline int destroyed = 0;

 private:
  explicit Probe(ObjectType type) : KernelObject(type) {}
  ~Probe() override { ++destroyed; }
};

class HandleTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Probe::destroyed = 0;
    live_before_ = KernelObject::live_count();
  }
  // Every object a test made is gone by its end: no reference was leaked or dropped twice.
  void TearDown() override {
    table_.clear();
    for (Probe* p : owned_) p->release();
    EXPECT_EQ(KernelObject::live_count(), live_before_);
  }

  // An object whose creator's reference the fixture drops at the end.
  Probe* object(ObjectType type = ObjectType::kEndpoint) {
    owned_.push_back(Probe::create(type));
    return owned_.back();
  }
  // An object whose only references will be handles: the creator's one is dropped now.
  Probe* handle_owned_object(HandleTable& table, Handle& out, uint32_t rights = kRightsAll) {
    Probe* p = Probe::create();
    auto added = table.add(p, rights, 0, nullptr);
    EXPECT_TRUE(added.ok());
    out = added.ok() ? *added : 0;
    p->release();
    return p;
  }
  RevocationNode* node_of(HandleTable& table, Handle h) {
    auto e = table.lookup(h);
    EXPECT_TRUE(e.ok());
    return e.ok() ? (*e)->node : nullptr;
  }

  HandleTable table_;
  std::vector<Probe*> owned_;
  uint64_t live_before_ = 0;
};

TEST_F(HandleTableTest, AddThenLookupGivesTheEntry) {
  Probe* p = object();
  auto h = table_.add(p, kRightRead | kRightWrite, 42, nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_NE(*h & kSlotMask, 0u) << "slot 0 is never a handle";
  auto e = table_.lookup(*h);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->object, p);
  EXPECT_EQ((*e)->rights, kRightRead | kRightWrite);
  EXPECT_EQ((*e)->badge, 42u);
  EXPECT_NE((*e)->node, nullptr);
  EXPECT_EQ(table_.count(), 1u);
}

TEST_F(HandleTableTest, DistinctAddsGiveDistinctHandles) {
  Probe* a = object();
  Probe* b = object();
  auto ha = table_.add(a, kRightRead, 1, nullptr);
  auto hb = table_.add(b, kRightWrite, 2, nullptr);
  auto ha2 = table_.add(a, kRightWrite, 3, nullptr);
  ASSERT_TRUE(ha.ok() && hb.ok() && ha2.ok());
  EXPECT_NE(*ha, *hb);
  EXPECT_NE(*ha, *ha2);
  EXPECT_NE(*hb, *ha2);
  EXPECT_EQ((*table_.lookup(*ha))->badge, 1u);
  EXPECT_EQ((*table_.lookup(*hb))->object, b);
  EXPECT_EQ((*table_.lookup(*ha2))->badge, 3u);
  EXPECT_EQ(table_.count(), 3u);
}

TEST_F(HandleTableTest, LookupChecksTypeAndRights) {
  Probe* p = object(ObjectType::kEndpoint);
  Handle h = *table_.add(p, kRightRead | kRightTransfer, 0, nullptr);

  auto good = table_.lookup(h, ObjectType::kEndpoint, kRightRead | kRightTransfer);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ((*good)->object, p);
  EXPECT_TRUE(table_.lookup(h, ObjectType::kEndpoint, 0).ok());

  EXPECT_EQ(table_.lookup(h, ObjectType::kNotification, kRightRead).error(),
            Error::kInvalidArgument);
  EXPECT_EQ(table_.lookup(h, ObjectType::kEndpoint, kRightWrite).error(), Error::kAccessDenied);
  EXPECT_EQ(table_.lookup(h, ObjectType::kEndpoint, kRightRead | kRightWrite).error(),
            Error::kAccessDenied)
      << "every asked right is needed, not just one";
  EXPECT_EQ(table_.lookup(h + 1, ObjectType::kEndpoint, 0).error(), Error::kBadHandle);
}

TEST_F(HandleTableTest, ValuesThatNameNothingAreBadHandles) {
  EXPECT_EQ(table_.lookup(1).error(), Error::kBadHandle) << "empty table";
  EXPECT_EQ(table_.remove(1).error(), Error::kBadHandle);
  EXPECT_EQ(table_.revoke(1).error(), Error::kBadHandle);

  Handle h = *table_.add(object(), kRightsAll, 0, nullptr);
  EXPECT_EQ(table_.lookup(0).error(), Error::kBadHandle);
  EXPECT_EQ(table_.lookup(h & ~kSlotMask).error(), Error::kBadHandle) << "slot 0";
  EXPECT_EQ(table_.lookup(h + 1).error(), Error::kBadHandle) << "free slot";
  EXPECT_EQ(table_.lookup(HandleTable::kInitialSlots).error(), Error::kBadHandle);
  EXPECT_EQ(table_.lookup(kSlotMask).error(), Error::kBadHandle) << "beyond the table";
  EXPECT_EQ(table_.lookup(h | (7u << 16)).error(), Error::kBadHandle) << "wrong generation";
  EXPECT_EQ(table_.lookup(0xffffffffu).error(), Error::kBadHandle);
  EXPECT_EQ(table_.remove(h + 1).error(), Error::kBadHandle);
  EXPECT_EQ(table_.remove(0).error(), Error::kBadHandle);
  EXPECT_EQ(table_.remove(kSlotMask).error(), Error::kBadHandle);
  EXPECT_EQ(table_.count(), 1u) << "failed removes took nothing";
  EXPECT_TRUE(table_.lookup(h).ok());
}

TEST_F(HandleTableTest, StaleValueRefusedAfterTheSlotIsReused) {
  Probe* a = object();
  Probe* b = object();
  Handle old = *table_.add(a, kRightsAll, 1, nullptr);
  ASSERT_TRUE(table_.remove(old).ok());
  EXPECT_EQ(table_.lookup(old).error(), Error::kBadHandle);
  EXPECT_EQ(table_.remove(old).error(), Error::kBadHandle) << "double close";

  Handle reused = *table_.add(b, kRightsAll, 2, nullptr);
  EXPECT_EQ(reused & kSlotMask, old & kSlotMask) << "the lowest free slot is reused";
  EXPECT_NE(reused, old);
  EXPECT_EQ(table_.lookup(old).error(), Error::kBadHandle);
  EXPECT_EQ(table_.lookup(old, ObjectType::kEndpoint, 0).error(), Error::kBadHandle);
  EXPECT_EQ(table_.remove(old).error(), Error::kBadHandle);
  EXPECT_EQ(table_.revoke(old).error(), Error::kBadHandle);
  auto e = table_.lookup(reused);
  ASSERT_TRUE(e.ok()) << "the stale value's failures left the new entry alone";
  EXPECT_EQ((*e)->object, b);
  EXPECT_EQ((*e)->badge, 2u);

  // Every reuse of the slot gives a value unlike all earlier ones.
  std::vector<Handle> seen{old, reused};
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(table_.remove(seen.back()).ok());
    Handle next = *table_.add(b, kRightsAll, 0, nullptr);
    for (Handle earlier : seen) {
      ASSERT_NE(next, earlier);
      ASSERT_EQ(table_.lookup(earlier).error(), Error::kBadHandle);
    }
    seen.push_back(next);
  }
}

TEST_F(HandleTableTest, HandlesHoldReferences) {
  Handle h;
  handle_owned_object(table_, h);
  EXPECT_EQ(Probe::destroyed, 0) << "the handle keeps the object alive";
  ASSERT_TRUE(table_.remove(h).ok());
  EXPECT_EQ(Probe::destroyed, 1) << "removing the last handle frees it";
}

TEST_F(HandleTableTest, ObjectInTwoTablesDiesWithTheLastHandle) {
  HandleTable other;
  Handle h1;
  Probe* p = handle_owned_object(table_, h1);
  Handle h2 = *other.add(p, kRightRead, 0, node_of(table_, h1));
  Handle h3 = *other.add(p, kRightRead, 0, nullptr);

  ASSERT_TRUE(table_.remove(h1).ok());
  EXPECT_EQ(Probe::destroyed, 0);
  ASSERT_TRUE(other.remove(h2).ok());
  EXPECT_EQ(Probe::destroyed, 0);
  EXPECT_TRUE(other.lookup(h3).ok());
  other.clear();
  EXPECT_EQ(Probe::destroyed, 1);
}

TEST_F(HandleTableTest, ClearReleasesEveryObject) {
  std::vector<Handle> handles(10);
  for (Handle& h : handles) handle_owned_object(table_, h);
  Probe* shared = object();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(table_.add(shared, kRightRead, 0, nullptr).ok());
  EXPECT_EQ(table_.count(), 15u);

  table_.clear();
  EXPECT_EQ(Probe::destroyed, 10);
  EXPECT_EQ(table_.count(), 0u);
  for (Handle h : handles) EXPECT_EQ(table_.lookup(h).error(), Error::kBadHandle);

  // Still usable, from scratch.
  Handle again;
  handle_owned_object(table_, again);
  EXPECT_TRUE(table_.lookup(again).ok());
  EXPECT_EQ(table_.count(), 1u);
}

TEST_F(HandleTableTest, DestructorReleasesEveryObject) {
  {
    HandleTable scoped;
    Handle h;
    for (int i = 0; i < 70; ++i) handle_owned_object(scoped, h);  // past one growth
  }
  EXPECT_EQ(Probe::destroyed, 70);
}

TEST_F(HandleTableTest, GrowsToTheLimitThenRunsOutOfMemory) {
  Probe* p = object();
  std::vector<Handle> handles;
  for (uint32_t i = 1; i < HandleTable::kMaxSlots; ++i) {
    auto h = table_.add(p, kRightRead, i, nullptr);
    ASSERT_TRUE(h.ok()) << "handle " << i;
    handles.push_back(*h);
  }
  EXPECT_EQ(table_.count(), HandleTable::kMaxSlots - 1);

  // Growth copied every entry: each still has its own badge.
  for (uint32_t i = 0; i < handles.size(); ++i) {
    auto e = table_.lookup(handles[i]);
    ASSERT_TRUE(e.ok()) << "handle " << i;
    ASSERT_EQ((*e)->badge, i + 1);
  }

  auto full = table_.add(p, kRightRead, 0, nullptr);
  EXPECT_EQ(full.error(), Error::kOutOfMemory);
  EXPECT_EQ(table_.count(), HandleTable::kMaxSlots - 1);
  EXPECT_EQ(table_.add_at(HandleTable::kMaxSlots, p, kRightRead).error(), Error::kInvalidArgument);

  // A freed slot is found again, and that is the only one.
  ASSERT_TRUE(table_.remove(handles[1000]).ok());
  auto refill = table_.add(p, kRightRead, 0, nullptr);
  ASSERT_TRUE(refill.ok());
  EXPECT_EQ(*refill & kSlotMask, handles[1000] & kSlotMask);
  EXPECT_EQ(table_.add(p, kRightRead, 0, nullptr).error(), Error::kOutOfMemory);
}

TEST_F(HandleTableTest, FailedAddTakesNoReference) {
  Probe* filler = object();
  for (uint32_t i = 1; i < HandleTable::kMaxSlots; ++i) {
    ASSERT_TRUE(table_.add(filler, 0, 0, nullptr).ok());
  }
  Probe* p = Probe::create();
  EXPECT_EQ(table_.add(p, kRightsAll, 0, nullptr).error(), Error::kOutOfMemory);
  p->release();
  EXPECT_EQ(Probe::destroyed, 1) << "the failed add kept a reference";
}

TEST_F(HandleTableTest, AddAtPutsBootHandlesAtFixedValues) {
  Probe* p = object();
  ASSERT_TRUE(table_.add_at(5, p, kRightRead).ok());
  auto e = table_.lookup(5);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->object, p);
  EXPECT_EQ((*e)->rights, kRightRead);
  EXPECT_EQ((*e)->badge, 0u);
  EXPECT_EQ(table_.add_at(5, p, kRightsAll).error(), Error::kAlreadyExists);
  EXPECT_EQ((*table_.lookup(5))->rights, kRightRead) << "the failed add_at changed nothing";

  EXPECT_EQ(table_.add_at(0, p, kRightRead).error(), Error::kInvalidArgument);
  EXPECT_EQ(table_.add_at(HandleTable::kMaxSlots, p, kRightRead).error(), Error::kInvalidArgument);

  // A high fixed slot grows the table as far as it needs.
  ASSERT_TRUE(table_.add_at(HandleTable::kMaxSlots - 1, p, kRightWrite).ok());
  EXPECT_TRUE(table_.lookup(HandleTable::kMaxSlots - 1, ObjectType::kEndpoint, kRightWrite).ok());
  EXPECT_TRUE(table_.lookup(5).ok()) << "growth kept the earlier entry";
  EXPECT_EQ(table_.count(), 2u);

  // Ordinary adds take the lowest free slot, around the fixed ones.
  Handle h = *table_.add(p, kRightRead, 0, nullptr);
  EXPECT_EQ(h & kSlotMask, 1u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(table_.add(p, kRightRead, 0, nullptr).ok());
  EXPECT_EQ(*table_.add(p, kRightRead, 0, nullptr) & kSlotMask, 6u) << "slot 5 is taken";
}

TEST_F(HandleTableTest, AddAtTakesTheGenerationFromTheValue) {
  Probe* p = object();
  constexpr Handle kValue = (7u << 16) | 9;
  ASSERT_TRUE(table_.add_at(kValue, p, kRightRead, 42).ok());
  auto e = table_.lookup(kValue);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->badge, 42u);
  EXPECT_FALSE(table_.lookup(9).ok()) << "generation 0 of the slot is not that handle";
  EXPECT_EQ(table_.add_at((8u << 16) | 9, p, kRightRead).error(), Error::kAlreadyExists);
  EXPECT_EQ(table_.add_at(5u << 16, p, kRightRead).error(), Error::kInvalidArgument);
  ASSERT_TRUE(table_.remove(kValue).ok());
  EXPECT_FALSE(table_.lookup(kValue).ok()) << "removal still bumps the generation";
}

TEST_F(HandleTableTest, AddAtUnderAParentIsRevokedWithIt) {
  Probe* p = object();
  Handle source = *table_.add(p, kRightsAll, 0, nullptr);
  HandleTable other;
  ASSERT_TRUE(other.add_at((2u << 16) | 3, p, kRightRead, 0, node_of(table_, source)).ok());
  ASSERT_TRUE(table_.revoke(source).ok());
  EXPECT_FALSE(other.lookup((2u << 16) | 3).ok());
}

TEST_F(HandleTableTest, ListGivesHandlesInValueOrderAndPages) {
  Probe* p = object();
  Probe* n = object(ObjectType::kNotification);
  Handle a = *table_.add(p, kRightRead, 0, nullptr);  // slot 1
  ASSERT_TRUE(table_.add_at((1u << 16) | 2, n, kRightWrite, 7).ok());
  ASSERT_TRUE(table_.add_at(5, p, kRightsAll).ok());
  Handle revoked_child = *table_.add(p, kRightRead, 0, node_of(table_, a));  // slot 3
  ASSERT_TRUE(table_.revoke(a).ok());  // its child no longer works, but holds its slot
  abi::HandleListEntry out[8];
  ASSERT_EQ(table_.list(0, out, 8), 4u);
  EXPECT_EQ(out[0].value, a);
  EXPECT_EQ(out[0].flags, 0u);
  EXPECT_EQ(out[1].value, revoked_child);
  EXPECT_EQ(out[1].flags, abi::kHandleRevoked) << "listed, flagged: its slot moves with a task";
  EXPECT_EQ(out[2].value, 5u);
  EXPECT_EQ(out[3].value, (1u << 16) | 2) << "a later generation sorts after every slot of 0";
  EXPECT_EQ(out[3].type, ObjectType::kNotification);
  EXPECT_EQ(out[3].rights, kRightWrite);
  EXPECT_EQ(out[3].badge, 7u);
  EXPECT_EQ(out[3].object_id, n->id());
  EXPECT_EQ(out[0].object_id, p->id());
  ASSERT_EQ(table_.list(0, out, 3), 3u) << "full: the largest drops out";
  EXPECT_EQ(out[0].value, a);
  EXPECT_EQ(out[2].value, 5u);
  ASSERT_EQ(table_.list(5, out, 8), 1u);
  EXPECT_EQ(out[0].value, (1u << 16) | 2);
  EXPECT_EQ(table_.list((1u << 16) | 2, out, 8), 0u);
  EXPECT_EQ(table_.list(0, out, 0), 0u);
}

TEST_F(HandleTableTest, HandlesOfAFixedSlotRevokeAndRemove) {
  Probe* p = object();
  ASSERT_TRUE(table_.add_at(3, p, kRightsAll).ok());
  HandleTable other;
  Handle derived = *other.add(p, kRightRead, 0, node_of(table_, 3));
  ASSERT_TRUE(table_.revoke(3).ok());
  EXPECT_TRUE(table_.lookup(3).ok());
  EXPECT_EQ(other.lookup(derived).error(), Error::kBadHandle);
  ASSERT_TRUE(table_.remove(3).ok());
  EXPECT_EQ(table_.lookup(3).error(), Error::kBadHandle);
}

// Derivations as duplicate, transfer and message make them: a child node of the source's.
TEST_F(HandleTableTest, RevokeKillsDerivedHandlesTransitivelyButNotTheRevoker) {
  HandleTable b;
  HandleTable c;
  Handle root;
  Probe* p = handle_owned_object(table_, root);
  Handle unrelated = *table_.add(p, kRightsAll, 0, nullptr);
  Handle duplicate = *table_.add(p, kRightRead, 0, node_of(table_, root));
  Handle transferred = *b.add(p, kRightRead, 0, node_of(table_, root));
  Handle grandchild = *c.add(p, kRightRead, 0, node_of(b, transferred));
  // Looked up once while valid: a cached "still valid" must not outlive the revocation.
  ASSERT_TRUE(table_.lookup(duplicate).ok());
  ASSERT_TRUE(b.lookup(transferred).ok());
  ASSERT_TRUE(c.lookup(grandchild).ok());

  ASSERT_TRUE(table_.revoke(root).ok());
  EXPECT_TRUE(table_.lookup(root).ok()) << "the revoker keeps its handle";
  EXPECT_TRUE(table_.lookup(unrelated).ok()) << "not derived from the revoked handle";
  EXPECT_EQ(table_.lookup(duplicate).error(), Error::kBadHandle);
  EXPECT_EQ(b.lookup(transferred).error(), Error::kBadHandle);
  EXPECT_EQ(c.lookup(grandchild).error(), Error::kBadHandle);
  EXPECT_EQ(b.lookup(transferred, ObjectType::kEndpoint, 0).error(), Error::kBadHandle);
  EXPECT_EQ(b.revoke(transferred).error(), Error::kBadHandle);

  // Dead handles can still be closed, which gives their references back.
  ASSERT_TRUE(b.remove(transferred).ok());
  EXPECT_EQ(b.count(), 0u);
  c.clear();

  // What the revoker hands out afterwards works, until it revokes again.
  Handle fresh = *b.add(p, kRightRead, 0, node_of(table_, root));
  EXPECT_TRUE(b.lookup(fresh).ok());
  ASSERT_TRUE(table_.revoke(root).ok());
  EXPECT_EQ(b.lookup(fresh).error(), Error::kBadHandle);
  EXPECT_TRUE(table_.lookup(root).ok());
  EXPECT_EQ(Probe::destroyed, 0);
}

TEST_F(HandleTableTest, RevokingADerivedHandleSparesItsAncestors) {
  HandleTable b;
  HandleTable c;
  Handle root;
  Probe* p = handle_owned_object(table_, root);
  Handle middle = *b.add(p, kRightsAll, 0, node_of(table_, root));
  Handle leaf = *c.add(p, kRightRead, 0, node_of(b, middle));
  Handle sibling = *c.add(p, kRightRead, 0, node_of(table_, root));
  ASSERT_TRUE(c.lookup(leaf).ok());
  ASSERT_TRUE(c.lookup(sibling).ok());

  ASSERT_TRUE(b.revoke(middle).ok());
  EXPECT_TRUE(table_.lookup(root).ok());
  EXPECT_TRUE(b.lookup(middle).ok());
  EXPECT_EQ(c.lookup(leaf).error(), Error::kBadHandle);
  EXPECT_TRUE(c.lookup(sibling).ok());

  // The revoker's fresh node stays under its parent: revoking the root still reaches it.
  ASSERT_TRUE(b.lookup(middle).ok());
  ASSERT_TRUE(table_.revoke(root).ok());
  EXPECT_EQ(b.lookup(middle).error(), Error::kBadHandle);
  EXPECT_EQ(c.lookup(sibling).error(), Error::kBadHandle);
  EXPECT_TRUE(table_.lookup(root).ok());
}

// Long chains across tables, torn down in a scrambled order: LeakSanitizer reports any
// revocation node that is not freed, and ASan any that is freed while still referenced.
TEST_F(HandleTableTest, RevocationChainsAreFreedInAnyOrder) {
  constexpr int kDepth = 40;
  std::vector<HandleTable> tables(kDepth);
  std::vector<Handle> chain(kDepth);
  Probe* p = handle_owned_object(tables[0], chain[0]);
  for (int i = 1; i < kDepth; ++i) {
    chain[i] = *tables[i].add(p, kRightsAll, 0, node_of(tables[i - 1], chain[i - 1]));
  }
  for (int i = 0; i < kDepth; ++i) ASSERT_TRUE(tables[i].lookup(chain[i]).ok());
  ASSERT_TRUE(tables[kDepth / 2].revoke(chain[kDepth / 2]).ok());
  ASSERT_TRUE(tables[kDepth / 4].revoke(chain[kDepth / 4]).ok());
  for (int i = 0; i < kDepth; ++i) {
    bool alive = i <= kDepth / 4;
    EXPECT_EQ(tables[i].lookup(chain[i]).ok(), alive) << "depth " << i;
  }
  std::vector<int> order(kDepth);
  for (int i = 0; i < kDepth; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  for (int i : order) ASSERT_TRUE(tables[i].remove(chain[i]).ok());
  EXPECT_EQ(Probe::destroyed, 1);
}

// Random adds, removes (also of stale values) and lookups against a plain map.
TEST_F(HandleTableTest, RandomOperationsMatchAModel) {
  std::mt19937 random(12345);
  Probe* objects[3] = {object(ObjectType::kEndpoint), object(ObjectType::kNotification),
                       object(ObjectType::kThread)};
  struct Expected {
    Probe* object;
    uint32_t rights;
    uint64_t badge;
  };
  std::map<Handle, Expected> live;
  std::vector<Handle> dead;
  for (int step = 0; step < 20000; ++step) {
    int op = random() % 10;
    if (op < 5 || live.empty()) {
      Probe* o = objects[random() % 3];
      uint32_t rights = random() % 64;
      uint64_t badge = random();
      auto h = table_.add(o, rights, badge, nullptr);
      if (live.size() == HandleTable::kMaxSlots - 1) {
        ASSERT_EQ(h.error(), Error::kOutOfMemory);
        continue;
      }
      ASSERT_TRUE(h.ok());
      ASSERT_EQ(live.count(*h), 0u) << "a live value handed out twice";
      live[*h] = {o, rights, badge};
    } else if (op < 8) {
      auto it = std::next(live.begin(), random() % live.size());
      ASSERT_TRUE(table_.remove(it->first).ok());
      dead.push_back(it->first);
      live.erase(it);
    } else if (!dead.empty()) {
      Handle stale = dead[random() % dead.size()];
      if (live.count(stale)) continue;  // the generation wrapped around to it
      ASSERT_EQ(table_.lookup(stale).error(), Error::kBadHandle);
      ASSERT_EQ(table_.remove(stale).error(), Error::kBadHandle);
    }
    ASSERT_EQ(table_.count(), live.size());
    if (step % 97 == 0) {
      for (auto& [h, want] : live) {
        auto e = table_.lookup(h, want.object->type(), want.rights);
        ASSERT_TRUE(e.ok());
        ASSERT_EQ((*e)->object, want.object);
        ASSERT_EQ((*e)->badge, want.badge);
      }
    }
  }
}

TEST(KernelObjectTest, RefCountsAndIds) {
  uint64_t live = KernelObject::live_count();
  Probe::destroyed = 0;
  Probe* a = Probe::create(ObjectType::kTask);
  Probe* b = Probe::create();
  EXPECT_EQ(KernelObject::live_count(), live + 2);
  EXPECT_NE(a->id(), b->id());
  EXPECT_EQ(a->type(), ObjectType::kTask);
  {
    Ref<Probe> r1(a);  // a second reference
    Ref<Probe> r2 = r1;
    Ref<Probe> r3 = std::move(r2);
    EXPECT_FALSE(r2);
    a->release();  // the creator's
    EXPECT_EQ(Probe::destroyed, 0);
    r1.reset();
    EXPECT_EQ(Probe::destroyed, 0);
  }
  EXPECT_EQ(Probe::destroyed, 1);
  {
    Ref<Probe> adopted = Ref<Probe>::adopt(b);  // takes over the creator's reference
    EXPECT_EQ(adopted.get(), b);
  }
  EXPECT_EQ(Probe::destroyed, 2);
  EXPECT_EQ(KernelObject::live_count(), live);
}

}  // namespace
}  // namespace atoll_os::kernel
