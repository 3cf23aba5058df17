// Tests of sort_and_median: the samples end sorted and the middle one comes back.
#include "atoll/user/samples.h"

#include <gtest/gtest.h>

#include <vector>

namespace atoll_os::user {
namespace {

TEST(SortAndMedian, NoneIsZero) {
  EXPECT_EQ(sort_and_median(nullptr, 0), 0u);
}

TEST(SortAndMedian, OddCountGivesTheMiddleAndSorts) {
  std::vector<uint64_t> samples = {9, 1, 5, 7, 3};
  EXPECT_EQ(sort_and_median(samples.data(), samples.size()), 5u);
  EXPECT_EQ(samples, (std::vector<uint64_t>{1, 3, 5, 7, 9}));
}

TEST(SortAndMedian, EvenCountGivesTheUpperMiddle) {
  std::vector<uint64_t> samples = {40, 10, 30, 20};
  EXPECT_EQ(sort_and_median(samples.data(), samples.size()), 30u);
}

TEST(SortAndMedian, KeepsDuplicates) {
  std::vector<uint64_t> samples = {2, 2, 1, 2, UINT64_MAX, 1};
  EXPECT_EQ(sort_and_median(samples.data(), samples.size()), 2u);
  EXPECT_EQ(samples, (std::vector<uint64_t>{1, 1, 2, 2, 2, UINT64_MAX}));
}

}  // namespace
}  // namespace atoll_os::user
