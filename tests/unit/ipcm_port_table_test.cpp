// Tests of the port table: queues, ownership and bounds, and that moving a port loses,
// duplicates and reorders nothing, whatever order the network delivers in.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <vector>

#include "ipcm/port_table.h"

namespace atoll_os::servers::ipcm {
namespace {

const PortId kPort = PortId::make(3, 1);

PortMessage message(uint16_t sender_node, uint32_t label, bool after_move = false) {
  PortMessage m{};
  m.sender_node = sender_node;
  m.label = label;
  m.after_move = after_move;
  m.length = 1;
  m.bytes[0] = uint8_t(label);
  return m;
}

std::vector<uint32_t> drain(PortTable& table, PortId port, uint64_t owner) {
  std::vector<uint32_t> labels;
  PortMessage m;
  while (table.receive(port, owner, m).value()) labels.push_back(m.label);
  return labels;
}

TEST(IpcmPortTable, QueuesInOrderForItsOwnerOnly) {
  PortTable table;
  ASSERT_TRUE(table.open(kPort, 10).ok());
  EXPECT_EQ(table.open(kPort, 10).error(), Error::kAlreadyExists);
  for (uint32_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(table.deliver(kPort, message(1, i))->placement, Placement::kQueued);
  }
  PortMessage m;
  EXPECT_EQ(table.receive(kPort, 11, m).error(), Error::kAccessDenied);
  EXPECT_EQ(drain(table, kPort, 10), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(table.deliver(PortId::make(3, 2), message(1, 1)).error(), Error::kNotFound);
  EXPECT_EQ(table.deliver(kPort, message(kSenderNodesMax, 1)).error(), Error::kOutOfRange);
}

TEST(IpcmPortTable, QueueIsBoundedAndCloseFreesIt) {
  PortTable table;
  ASSERT_TRUE(table.open(kPort, 10).ok());
  for (uint32_t i = 0; i < kPortQueueMax; ++i)
    ASSERT_TRUE(table.deliver(kPort, message(1, i)).ok());
  EXPECT_EQ(table.deliver(kPort, message(1, 99)).error(), Error::kOutOfMemory);
  EXPECT_EQ(table.close(kPort, 11).error(), Error::kAccessDenied);
  EXPECT_EQ(*table.close(kPort, 10), kPortQueueMax);
  EXPECT_EQ(table.free_slots(), kMessageSlots);
  EXPECT_EQ(table.deliver(kPort, message(1, 1)).error(), Error::kNotFound);
}

// direct_open asks both: a port takes direct calls only while it is installed here, and
// not from a session whose messages it still queues or holds.
TEST(IpcmPortTable, CountsASessionsQueuedMessagesAndKnowsWhichPortsAreInstalled) {
  PortTable table;
  ASSERT_TRUE(table.open(kPort, 10).ok());
  EXPECT_TRUE(table.is_local(kPort));
  PortMessage from_session = message(1, 1);
  from_session.charged_to = 77;
  ASSERT_TRUE(table.deliver(kPort, from_session).ok());
  ASSERT_TRUE(table.deliver(kPort, message(1, 2)).ok());
  EXPECT_EQ(table.queued_from(kPort, 77), 1u);
  EXPECT_EQ(table.queued_from(kPort, 78), 0u);
  EXPECT_EQ(drain(table, kPort, 10).size(), 2u);
  EXPECT_EQ(table.queued_from(kPort, 77), 0u);
  PortMessage out[kPortQueueMax];
  size_t count = 0;
  ASSERT_TRUE(table.move_out(kPort, 4, out, count).ok());
  EXPECT_FALSE(table.is_local(kPort));
  EXPECT_FALSE(table.is_local(PortId::make(3, 9)));
  ASSERT_TRUE(table.expect(PortId::make(3, 9), 1).ok());
  EXPECT_FALSE(table.is_local(PortId::make(3, 9)));  // arriving
}

TEST(IpcmPortTable, MessagePoolIsSharedAndBounded) {
  PortTable table;
  size_t ports = kMessageSlots / kPortQueueMax + 1;
  for (uint64_t i = 1; i <= ports; ++i) ASSERT_TRUE(table.open(PortId::make(3, i), 10).ok());
  size_t placed = 0;
  for (uint64_t i = 1; i <= ports; ++i) {
    for (uint32_t j = 0; j < kPortQueueMax; ++j) {
      placed += table.deliver(PortId::make(3, i), message(1, j)).ok();
    }
  }
  EXPECT_EQ(placed, kMessageSlots);
  EXPECT_EQ(table.free_slots(), 0u);
}

TEST(IpcmPortTable, MovedQueueGoesAheadOfEarlyArrivalsAndLaterOnesAreForwarded) {
  PortTable source;
  PortTable destination;
  ASSERT_TRUE(source.open(kPort, 10).ok());
  for (uint32_t i = 1; i <= 3; ++i) ASSERT_TRUE(source.deliver(kPort, message(1, i)).ok());
  ASSERT_TRUE(destination.expect(kPort, 1).ok());

  PortMessage moved[kPortQueueMax];
  size_t count = 0;
  Location to = *source.move_out(kPort, 4, moved, count);
  EXPECT_EQ(to.node, 4);
  EXPECT_EQ(to.epoch, 1u);
  ASSERT_EQ(count, 3u);
  EXPECT_EQ(source.queued(kPort), 0u);

  // Until the queue is on its way, arrivals and flushes at the old node must wait: sent on
  // at once, they could overtake it.
  EXPECT_EQ(source.deliver(kPort, message(1, 4)).error(), Error::kBusy);
  EXPECT_EQ(source.flush(kPort, 1).error(), Error::kBusy);
  ASSERT_TRUE(source.departed(kPort).ok());
  EXPECT_EQ(source.departed(kPort).error(), Error::kNotFound);

  // Arrivals at the old node now go on, in arrival order, to the new one ...
  for (uint32_t i = 4; i <= 5; ++i) {
    Delivery d = *source.deliver(kPort, message(1, i));
    ASSERT_EQ(d.placement, Placement::kForward);
    EXPECT_EQ(d.forward_to.node, 4);
    ASSERT_TRUE(destination.deliver(kPort, message(1, i)).ok());  // ... and may beat the queue
  }
  PortMessage m;
  EXPECT_EQ(destination.receive(kPort, 20, m).error(), Error::kNotFound);  // not installed
  ASSERT_TRUE(destination.move_in(kPort, 20, {moved, count}).ok());
  EXPECT_EQ(drain(destination, kPort, 20), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
}

TEST(IpcmPortTable, DirectMessagesWaitForTheirSendersFlush) {
  PortTable table;
  ASSERT_TRUE(table.expect(kPort, 1).ok());
  ASSERT_TRUE(table.move_in(kPort, 20, {}).ok());
  EXPECT_EQ(table.deliver(kPort, message(1, 3, true))->placement, Placement::kHeld);
  EXPECT_EQ(table.deliver(kPort, message(2, 100))->placement, Placement::kQueued);
  EXPECT_EQ(table.deliver(kPort, message(1, 2))->placement, Placement::kQueued);  // forwarded
  EXPECT_EQ(table.deliver(kPort, message(1, 4, true))->placement, Placement::kHeld);
  EXPECT_EQ(drain(table, kPort, 20), (std::vector<uint32_t>{100, 2}));
  ASSERT_EQ(table.flush(kPort, 1)->placement, Placement::kQueued);
  EXPECT_EQ(table.deliver(kPort, message(1, 5, true))->placement, Placement::kQueued);
  EXPECT_EQ(drain(table, kPort, 20), (std::vector<uint32_t>{3, 4, 5}));
}

TEST(IpcmPortTable, HeldMessagesBlockAMoveAndANodeLossReleasesThem) {
  PortTable table;
  ASSERT_TRUE(table.open(kPort, 10).ok());
  ASSERT_TRUE(table.deliver(kPort, message(1, 7, true)).ok());
  PortMessage out[kPortQueueMax];
  size_t count = 0;
  EXPECT_EQ(table.move_out(kPort, 4, out, count).error(), Error::kBusy);
  table.release_held();
  EXPECT_EQ(drain(table, kPort, 10), (std::vector<uint32_t>{7}));
}

TEST(IpcmPortTable, MoveRefusalsChangeNothing) {
  PortTable table;
  ASSERT_TRUE(table.open(kPort, 10).ok());
  for (uint32_t i = 1; i <= 3; ++i) ASSERT_TRUE(table.deliver(kPort, message(1, i)).ok());
  PortMessage small[2];
  size_t count = 0;
  EXPECT_EQ(table.move_out(kPort, 4, small, count).error(), Error::kOutOfRange);
  EXPECT_EQ(table.queued(kPort), 3u);
  EXPECT_EQ(table.move_in(kPort, 10, {}).error(), Error::kNotFound);  // not expected
  EXPECT_EQ(table.expect(kPort, 1).error(), Error::kAlreadyExists);
}

TEST(IpcmPortTable, APortCanComeBackAndItsRecordCanBeForgotten) {
  PortTable home;
  ASSERT_TRUE(home.open(kPort, 10).ok());
  PortMessage out[kPortQueueMax];
  size_t count = 0;
  ASSERT_TRUE(home.move_out(kPort, 4, out, count).ok());
  EXPECT_EQ(home.expect(kPort, 2).error(), Error::kAlreadyExists);  // still leaving
  ASSERT_TRUE(home.departed(kPort).ok());
  ASSERT_TRUE(home.expect(kPort, 2).ok());  // the record becomes the reservation
  ASSERT_TRUE(home.move_in(kPort, 30, {}).ok());
  ASSERT_TRUE(home.deliver(kPort, message(1, 1)).ok());
  EXPECT_EQ(drain(home, kPort, 30), (std::vector<uint32_t>{1}));
  ASSERT_TRUE(home.move_out(kPort, 5, out, count).ok());
  EXPECT_EQ(home.forget_forward(kPort).error(), Error::kNotFound);  // still leaving
  ASSERT_TRUE(home.departed(kPort).ok());
  EXPECT_TRUE(home.forget_forward(kPort).ok());
  EXPECT_EQ(home.deliver(kPort, message(1, 1)).error(), Error::kNotFound);
}

// The move protocol end to end over FIFO links delivered in random order. Two senders
// (nodes 1, 2) send numbered messages to a port that moves from node 3 to node 4 while
// they send; each learns of the move from node 3, flushes the old path and switches.
class MoveSimulation {
 public:
  static constexpr uint16_t kOld = 3, kNew = 4;
  static constexpr uint32_t kPerSender = 60;

  explicit MoveSimulation(unsigned seed) : random_(seed) { EXPECT_TRUE(old_.open(kPort, 10).ok()); }

  // Runs to the end; returns the labels each sender's messages arrived with, in order.
  std::map<uint16_t, std::vector<uint32_t>> run() {
    for (int step = 0; step < 100000 && !finished(); ++step) this->step();
    EXPECT_TRUE(finished());
    return received_;
  }

 private:
  struct Item {
    enum { kData, kFlush, kMoved } kind;
    PortMessage message;
  };
  using Link = std::deque<Item>;

  bool finished() const {
    if (!installed_) return false;
    for (uint16_t s : {1, 2}) {
      if (received_.count(s) == 0 || received_.at(s).size() < kPerSender) return false;
    }
    return true;
  }

  void step() {
    switch (random_() % 6) {
      case 0: send(uint16_t(1 + random_() % 2)); break;
      case 1: move(); break;
      case 2: receive(); break;
      default: carry(); break;
    }
  }

  void send(uint16_t sender) {
    if (sent_[sender] == kPerSender) return;
    bool direct = switched_[sender];
    links_[{sender, direct ? kNew : kOld}].push_back(
        {Item::kData, message(sender, ++sent_[sender], direct)});
  }

  void move() {
    if (moved_out_ && !installed_ && random_() % 2) {
      ASSERT_TRUE(new_.move_in(kPort, 20, {moved_, moved_count_}).ok());
      installed_ = true;
    } else if (!moved_out_ && sent_[1] + sent_[2] > 20) {
      ASSERT_TRUE(new_.expect(kPort, 1).ok());
      ASSERT_TRUE(old_.move_out(kPort, kNew, moved_, moved_count_).ok());
      ASSERT_TRUE(old_.departed(kPort).ok());  // the queue travels inside move_in here
      moved_out_ = true;
    }
  }

  void receive() {
    PortTable& table = installed_ ? new_ : old_;
    if (moved_out_ && !installed_) return;
    PortMessage m;
    if (table.receive(kPort, installed_ ? 20 : 10, m).value()) {
      received_[m.sender_node].push_back(m.label);
    }
  }

  // Hands the head of one random non-empty link to its receiving node.
  void carry() {
    std::vector<std::pair<uint16_t, uint16_t>> busy;
    for (auto& [ends, link] : links_) {
      if (!link.empty()) busy.push_back(ends);
    }
    if (busy.empty()) return;
    auto ends = busy[random_() % busy.size()];
    if (arrive(ends.second, links_[ends].front())) links_[ends].pop_front();
  }

  // False if the item must wait (the port's queue is full): the link backs up.
  bool arrive(uint16_t to, const Item& item) {
    if (item.kind == Item::kMoved) {
      links_[{to, kOld}].push_back({Item::kFlush, message(to, 0)});
      switched_[to] = true;
      return true;
    }
    PortTable& table = to == kOld ? old_ : new_;
    Result<Delivery> d = item.kind == Item::kData ? table.deliver(kPort, item.message)
                                                  : table.flush(kPort, item.message.sender_node);
    if (!d.ok()) {
      EXPECT_EQ(d.error(), Error::kOutOfMemory);
      return false;
    }
    if (d->placement == Placement::kForward) {
      links_[{kOld, kNew}].push_back(item);
      uint16_t sender = item.message.sender_node;
      if (item.kind == Item::kData && !told_[sender]) {
        links_[{kOld, sender}].push_back({Item::kMoved, {}});
        told_[sender] = true;
      }
    }
    return true;
  }

  std::mt19937 random_;
  PortTable old_, new_;
  std::map<std::pair<uint16_t, uint16_t>, Link> links_;
  std::map<uint16_t, uint32_t> sent_;
  std::map<uint16_t, bool> switched_, told_;
  std::map<uint16_t, std::vector<uint32_t>> received_;
  PortMessage moved_[kPortQueueMax];
  size_t moved_count_ = 0;
  bool moved_out_ = false, installed_ = false;
};

// A migration that aborts: the destination's reservation, and what reached it, go away;
// the slots come back.
TEST(IpcmPortTable, AnExpectationThatWillNotBeMetIsForgotten) {
  PortTable table;
  size_t free_before = table.free_slots();
  ASSERT_TRUE(table.expect(kPort, 2).ok());
  ASSERT_TRUE(table.deliver(kPort, message(1, 10)).ok());
  EXPECT_EQ(table.unexpect(kPort).value_or(99), 1u);
  EXPECT_EQ(table.free_slots(), free_before);
  EXPECT_EQ(table.deliver(kPort, message(1, 11)).error(), Error::kNotFound);
  EXPECT_EQ(table.unexpect(kPort).error(), Error::kNotFound);
  ASSERT_TRUE(table.open(kPort, 5).ok());
  EXPECT_EQ(table.unexpect(kPort).error(), Error::kNotFound);  // a live port is not expected
}

// The ipcm slice names the epoch a port will have on the destination: one more than now.
TEST(IpcmPortTable, ALocalPortKnowsItsEpoch) {
  PortTable table;
  EXPECT_EQ(table.epoch(kPort).error(), Error::kNotFound);
  ASSERT_TRUE(table.open(kPort, 5).ok());
  EXPECT_EQ(table.epoch(kPort).value_or(99), 0u);
  PortMessage out[kPortQueueMax];
  size_t moved = 0;
  ASSERT_TRUE(table.move_out(kPort, 2, out, moved).ok());
  EXPECT_EQ(table.epoch(kPort).error(), Error::kNotFound);  // leaving
  PortTable there;
  ASSERT_TRUE(there.expect(kPort, 1).ok());
  ASSERT_TRUE(there.move_in(kPort, 9, {}).ok());
  EXPECT_EQ(there.epoch(kPort).value_or(99), 1u);
}

TEST(IpcmPortTable, MoveWhileSendingLosesDuplicatesAndReordersNothing) {
  std::vector<uint32_t> expected;
  for (uint32_t i = 1; i <= MoveSimulation::kPerSender; ++i) expected.push_back(i);
  for (unsigned seed = 1; seed <= 200; ++seed) {
    MoveSimulation simulation(seed);
    auto received = simulation.run();
    ASSERT_EQ(received[1], expected) << "seed " << seed;
    ASSERT_EQ(received[2], expected) << "seed " << seed;
  }
}

}  // namespace
}  // namespace atoll_os::servers::ipcm
