// Tests of the location cache: origin default, forward-only epochs, NODE_GONE, eviction.
#include <gtest/gtest.h>

#include "ipcm/location_cache.h"

namespace atoll_os::servers::ipcm {
namespace {

TEST(IpcmLocationCache, UnknownPortIsAtItsOrigin) {
  LocationCache cache;
  Location at = cache.locate(PortId::make(4, 10));
  EXPECT_EQ(at.node, 4);
  EXPECT_EQ(at.epoch, 0u);
}

TEST(IpcmLocationCache, EpochsOnlyMoveForward) {
  LocationCache cache;
  PortId port = PortId::make(1, 1);
  EXPECT_TRUE(cache.update(port, {2, 1}));
  EXPECT_TRUE(cache.update(port, {3, 3}));
  EXPECT_FALSE(cache.update(port, {2, 2}));  // a late PORT_MOVED of an older move
  EXPECT_FALSE(cache.update(port, {5, 3}));  // same epoch: the first word stands
  EXPECT_EQ(cache.locate(port).node, 3);
  EXPECT_EQ(cache.locate(port).epoch, 3u);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(IpcmLocationCache, NodeGoneForgetsItsPortsOnly) {
  LocationCache cache;
  ASSERT_TRUE(cache.update(PortId::make(1, 1), {2, 1}));
  ASSERT_TRUE(cache.update(PortId::make(1, 2), {2, 4}));
  ASSERT_TRUE(cache.update(PortId::make(1, 3), {3, 1}));
  EXPECT_EQ(cache.forget_node(2), 2u);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.locate(PortId::make(1, 1)).node, 1);  // back to the origin
  EXPECT_EQ(cache.locate(PortId::make(1, 3)).node, 3);
  cache.forget(PortId::make(1, 3));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(IpcmLocationCache, FullCacheEvictsTheLeastRecentlyUsed) {
  LocationCache cache;
  for (uint64_t i = 1; i <= kLocationCacheSize; ++i) {
    ASSERT_TRUE(cache.update(PortId::make(1, i), {2, 1}));
  }
  cache.locate(PortId::make(1, 1));  // now the most recently used
  ASSERT_TRUE(cache.update(PortId::make(1, 1000), {3, 1}));
  EXPECT_EQ(cache.size(), kLocationCacheSize);
  EXPECT_EQ(cache.locate(PortId::make(1, 1)).node, 2);  // kept
  EXPECT_EQ(cache.locate(PortId::make(1, 2)).node, 1);  // evicted: origin again
  EXPECT_EQ(cache.locate(PortId::make(1, 1000)).node, 3);
}

}  // namespace
}  // namespace atoll_os::servers::ipcm
