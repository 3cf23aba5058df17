// Tests for the scheduler's priority run queues: FIFO per priority, highest first, and a
// bitmap that always names exactly the non-empty queues.
#include "sched/run_queues.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

namespace atoll_os::kernel {
namespace {

struct Item {
  int id = 0;
  uint8_t level = 0;
  ListNode run_link;
  uint8_t priority() const { return level; }
};

std::vector<Item> make_items(int count) {
  std::vector<Item> items(count);
  for (int i = 0; i < count; ++i) items[i].id = i;
  return items;
}

TEST(RunQueuesTest, EmptyQueuesPickNothing) {
  RunQueues<Item> queues;
  EXPECT_TRUE(queues.empty());
  EXPECT_EQ(queues.highest(), -1);
  EXPECT_EQ(queues.pick(), nullptr);
}

TEST(RunQueuesTest, FifoWithinAPriority) {
  RunQueues<Item> queues;
  auto items = make_items(5);
  for (Item& item : items) {
    item.level = 12;
    queues.enqueue(item);
  }
  EXPECT_FALSE(queues.empty());
  EXPECT_EQ(queues.highest(), 12);
  for (int i = 0; i < 5; ++i) {
    Item* picked = queues.pick();
    ASSERT_NE(picked, nullptr);
    EXPECT_EQ(picked->id, i);
    EXPECT_FALSE(picked->run_link.linked()) << "picked items leave the queue";
  }
  EXPECT_TRUE(queues.empty());
  EXPECT_EQ(queues.highest(), -1);
  EXPECT_EQ(queues.pick(), nullptr);
}

TEST(RunQueuesTest, HighestPriorityFirst) {
  RunQueues<Item> queues;
  auto items = make_items(6);
  const uint8_t levels[] = {1, 30, 10, 0, 31, 10};
  for (int i = 0; i < 6; ++i) {
    items[i].level = levels[i];
    queues.enqueue(items[i]);
  }
  const int expected_ids[] = {4, 1, 2, 5, 0, 3};
  const int expected_highest[] = {31, 30, 10, 10, 1, 0};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(queues.highest(), expected_highest[i]);
    Item* picked = queues.pick();
    ASSERT_NE(picked, nullptr);
    EXPECT_EQ(picked->id, expected_ids[i]);
  }
  EXPECT_TRUE(queues.empty());
}

TEST(RunQueuesTest, RemoveClearsTheBitOnlyWhenTheQueueEmpties) {
  RunQueues<Item> queues;
  auto items = make_items(3);
  items[0].level = 7;
  items[1].level = 7;
  items[2].level = 3;
  for (Item& item : items) queues.enqueue(item);
  queues.remove(items[0]);
  EXPECT_EQ(queues.highest(), 7) << "another item still waits at 7";
  queues.remove(items[1]);
  EXPECT_EQ(queues.highest(), 3);
  queues.remove(items[2]);
  EXPECT_TRUE(queues.empty());
  EXPECT_EQ(queues.pick(), nullptr);

  // Removing from the middle keeps the order of the rest.
  for (int i = 0; i < 3; ++i) {
    items[i].level = 20;
    queues.enqueue(items[i]);
  }
  queues.remove(items[1]);
  EXPECT_EQ(queues.pick()->id, 0);
  EXPECT_EQ(queues.pick()->id, 2);
  EXPECT_TRUE(queues.empty());
}

// Many items at random priorities, enqueued, removed and picked at random, against one
// std::deque per priority.
TEST(RunQueuesTest, RandomOperationsMatchAReferenceModel) {
  constexpr int kItems = 300;
  RunQueues<Item> queues;
  auto items = make_items(kItems);
  std::deque<Item*> model[abi::kPriorityCount];
  std::vector<Item*> idle;
  std::vector<Item*> queued;
  for (Item& item : items) idle.push_back(&item);
  auto model_highest = [&] {
    for (int p = abi::kPriorityCount - 1; p >= 0; --p) {
      if (!model[p].empty()) return p;
    }
    return -1;
  };
  auto take = [](std::vector<Item*>& from, size_t index) {
    Item* item = from[index];
    from[index] = from.back();
    from.pop_back();
    return item;
  };

  std::mt19937 random(2024);
  for (int step = 0; step < 50000; ++step) {
    int op = random() % 10;
    if (op < 5 && !idle.empty()) {
      Item* item = take(idle, random() % idle.size());
      // Mostly a few priorities, so queues hold several items; sometimes any of the 32.
      item->level = random() % 4 == 0 ? random() % abi::kPriorityCount : 8 + random() % 4;
      queues.enqueue(*item);
      model[item->level].push_back(item);
      queued.push_back(item);
    } else if (op < 7 && !queued.empty()) {
      Item* item = take(queued, random() % queued.size());
      queues.remove(*item);
      auto& q = model[item->level];
      q.erase(std::find(q.begin(), q.end(), item));
      idle.push_back(item);
    } else {
      Item* picked = queues.pick();
      int level = model_highest();
      if (level < 0) {
        ASSERT_EQ(picked, nullptr);
      } else {
        ASSERT_EQ(picked, model[level].front()) << "step " << step;
        model[level].pop_front();
        queued.erase(std::find(queued.begin(), queued.end(), picked));
        idle.push_back(picked);
      }
    }
    ASSERT_EQ(queues.highest(), model_highest()) << "step " << step;
    ASSERT_EQ(queues.empty(), queued.empty()) << "step " << step;
  }
  // Draining gives everything left, in the model's order.
  for (int level = abi::kPriorityCount - 1; level >= 0; --level) {
    for (Item* item : model[level]) ASSERT_EQ(queues.pick(), item);
  }
  EXPECT_TRUE(queues.empty());
  EXPECT_EQ(queues.pick(), nullptr);
}

}  // namespace
}  // namespace atoll_os::kernel
