// Tests for the intrusive list every kernel queue is built on, against std::list.
#include "lib/intrusive_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <random>
#include <vector>

namespace atoll_os::kernel {
namespace {

// Polymorphic and with the links away from offset 0, like the kernel's objects, so the
// node-to-element arithmetic is exercised.
struct Element {
  virtual ~Element() = default;
  uint64_t padding[3] = {};
  int id = 0;
  ListNode first_link;
  ListNode second_link;
};

using FirstList = IntrusiveList<Element, &Element::first_link>;
using SecondList = IntrusiveList<Element, &Element::second_link>;

template <typename List>
std::vector<int> contents(const List& list) {
  std::vector<int> ids;
  for (Element* e = list.front(); e; e = list.next(*e)) ids.push_back(e->id);
  return ids;
}

std::vector<Element> make_elements(int count) {
  std::vector<Element> elements(count);
  for (int i = 0; i < count; ++i) elements[i].id = i;
  return elements;
}

TEST(IntrusiveListTest, EmptyList) {
  FirstList list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.front(), nullptr);
  EXPECT_EQ(list.pop_front(), nullptr);
}

TEST(IntrusiveListTest, PushPopAndOrder) {
  auto e = make_elements(4);
  FirstList list;
  list.push_back(e[1]);
  list.push_back(e[2]);
  list.push_front(e[0]);
  list.insert_before(e[2], e[3]);
  EXPECT_EQ(contents(list), (std::vector<int>{0, 1, 3, 2}));
  EXPECT_EQ(list.size(), 4u);
  EXPECT_FALSE(list.empty());
  EXPECT_EQ(list.front(), &e[0]);
  EXPECT_EQ(list.next(e[2]), nullptr) << "the last element has no next";
  EXPECT_TRUE(e[3].first_link.linked());

  list.remove(e[3]);
  EXPECT_FALSE(e[3].first_link.linked());
  EXPECT_EQ(contents(list), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(list.pop_front(), &e[0]);
  EXPECT_FALSE(e[0].first_link.linked());
  list.remove(e[2]);
  EXPECT_EQ(contents(list), (std::vector<int>{1}));
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(list.pop_front(), &e[1]);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.size(), 0u);
  EXPECT_EQ(list.front(), nullptr);
}

TEST(IntrusiveListTest, InsertBeforeTheFirstElement) {
  auto e = make_elements(2);
  FirstList list;
  list.push_back(e[0]);
  list.insert_before(e[0], e[1]);
  EXPECT_EQ(contents(list), (std::vector<int>{1, 0}));
  EXPECT_EQ(list.front(), &e[1]);
}

TEST(IntrusiveListTest, OneElementOnTwoListsThroughTwoLinks) {
  auto e = make_elements(3);
  FirstList first;
  SecondList second;
  for (Element& x : e) first.push_back(x);
  second.push_back(e[2]);
  second.push_back(e[0]);
  EXPECT_EQ(contents(first), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(contents(second), (std::vector<int>{2, 0}));
  first.remove(e[0]);
  EXPECT_EQ(contents(second), (std::vector<int>{2, 0})) << "the other list is untouched";
  EXPECT_TRUE(e[0].second_link.linked());
  EXPECT_EQ(second.pop_front(), &e[2]);
  EXPECT_EQ(contents(first), (std::vector<int>{1, 2}));
}

// Random operations on two lists against std::list; an element is on at most one of them.
TEST(IntrusiveListTest, RandomOperationsMatchStdList) {
  constexpr int kElements = 64;
  auto e = make_elements(kElements);
  FirstList lists[2];
  std::list<Element*> model[2];
  std::vector<int> where(kElements, -1);  // which list holds each element
  std::mt19937 random(99);

  auto check = [&](int l) {
    std::vector<int> want;
    for (Element* x : model[l]) want.push_back(x->id);
    ASSERT_EQ(contents(lists[l]), want);
    ASSERT_EQ(lists[l].size(), model[l].size());
    ASSERT_EQ(lists[l].empty(), model[l].empty());
    ASSERT_EQ(lists[l].front(), model[l].empty() ? nullptr : model[l].front());
  };
  auto random_member = [&](int l) {
    return std::next(model[l].begin(), random() % model[l].size());
  };

  for (int step = 0; step < 20000; ++step) {
    int l = random() % 2;
    Element& x = e[random() % kElements];
    int op = random() % 6;
    bool free = where[x.id] < 0;
    if (op == 0 && free) {
      lists[l].push_back(x);
      model[l].push_back(&x);
      where[x.id] = l;
    } else if (op == 1 && free) {
      lists[l].push_front(x);
      model[l].push_front(&x);
      where[x.id] = l;
    } else if (op == 2 && free && !model[l].empty()) {
      auto position = random_member(l);
      lists[l].insert_before(**position, x);
      model[l].insert(position, &x);
      where[x.id] = l;
    } else if (op == 3 && !model[l].empty()) {
      auto victim = random_member(l);
      Element* y = *victim;
      lists[l].remove(*y);
      model[l].erase(victim);
      where[y->id] = -1;
    } else if (op == 4) {
      Element* popped = lists[l].pop_front();
      ASSERT_EQ(popped, model[l].empty() ? nullptr : model[l].front());
      if (popped) {
        model[l].pop_front();
        where[popped->id] = -1;
      }
    }
    ASSERT_NO_FATAL_FAILURE(check(l));
    if (step % 50 == 0) {
      ASSERT_NO_FATAL_FAILURE(check(1 - l));
    }
    for (int i = 0; i < kElements; ++i) {
      ASSERT_EQ(e[i].first_link.linked(), where[i] >= 0) << "element " << i;
    }
  }
}

}  // namespace
}  // namespace atoll_os::kernel
