// Tests of exactly-once, in-order delivery: windows, duplicates, reordering, loss and resend,
// and incarnations.
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

#include "ipcm/sequencing.h"
#include "ipcm_wire_samples.h"

namespace atoll_os::servers::ipcm {
namespace {

wire::Frame data_frame(uint32_t label) {
  wire::Frame f = wire::sample_frame(wire::Kind::kData);
  f.data.label = label;
  return f;
}

wire::Frame numbered(uint64_t sequence) {
  wire::Frame f = data_frame(uint32_t(sequence));
  f.header.sequence = sequence;
  return f;
}

TEST(IpcmSendWindow, NumbersFramesAndRefusesWhenFull) {
  SendWindow window;
  for (uint64_t i = 1; i <= kSendWindow; ++i) {
    wire::Frame f = data_frame(0);
    ASSERT_EQ(*window.push(f), i);
    EXPECT_EQ(f.header.sequence, i);
  }
  wire::Frame late = data_frame(0);
  EXPECT_EQ(window.push(late).error(), Error::kOutOfMemory);
  ASSERT_TRUE(window.acknowledge(3).ok());
  EXPECT_EQ(window.unacked(), kSendWindow - 3);
  EXPECT_EQ(window.unacked_at(0).header.sequence, 4u);
  EXPECT_EQ(*window.push(late), kSendWindow + 1);
}

TEST(IpcmSendWindow, AckOfSomethingNeverSentIsRefused) {
  SendWindow window;
  wire::Frame f = data_frame(0);
  ASSERT_TRUE(window.push(f).ok());
  EXPECT_EQ(window.acknowledge(2).error(), Error::kOutOfRange);
  EXPECT_EQ(window.unacked(), 1u);
  EXPECT_TRUE(window.acknowledge(1).ok());
  EXPECT_TRUE(window.acknowledge(1).ok());  // a repeated ack is harmless
  EXPECT_EQ(window.unacked(), 0u);
}

TEST(IpcmReceiveWindow, DuplicatesAreDroppedAndCounted) {
  ReceiveWindow window;
  EXPECT_EQ(*window.offer(numbered(1)), Arrival::kDeliver);
  EXPECT_EQ(*window.offer(numbered(1)), Arrival::kDuplicate);
  EXPECT_EQ(*window.offer(numbered(2)), Arrival::kDeliver);
  EXPECT_EQ(*window.offer(numbered(1)), Arrival::kDuplicate);
  EXPECT_EQ(window.duplicates(), 2u);
  EXPECT_EQ(window.delivered_through(), 2u);
}

TEST(IpcmReceiveWindow, ReorderedFramesAreHeldThenReleasedInOrder) {
  ReceiveWindow window;
  EXPECT_EQ(*window.offer(numbered(3)), Arrival::kHeld);
  EXPECT_EQ(*window.offer(numbered(2)), Arrival::kHeld);
  EXPECT_EQ(*window.offer(numbered(3)), Arrival::kDuplicate);  // held already
  wire::Frame out;
  EXPECT_FALSE(window.take_ready(out));  // 1 is missing
  EXPECT_EQ(*window.offer(numbered(1)), Arrival::kDeliver);
  ASSERT_TRUE(window.take_ready(out));
  EXPECT_EQ(out.header.sequence, 2u);
  ASSERT_TRUE(window.take_ready(out));
  EXPECT_EQ(out.data.label, 3u);
  EXPECT_FALSE(window.take_ready(out));
  EXPECT_EQ(window.delivered_through(), 3u);
}

TEST(IpcmReceiveWindow, GapBeyondTheHoldIsReported) {
  ReceiveWindow window;
  EXPECT_EQ(*window.offer(numbered(1 + kReorderHold)), Arrival::kHeld);
  EXPECT_EQ(window.offer(numbered(2 + kReorderHold)).error(), Error::kOutOfRange);
  EXPECT_EQ(window.delivered_through(), 0u);
}

// Two links joined by a channel that loses frames at random until it "reconnects": every
// frame arrives once and in order, whatever was lost, thanks to the resend of the window.
TEST(IpcmPeerLink, LossAndResendDeliverEveryFrameOnceInOrder) {
  PeerLink sender(100);
  PeerLink receiver(200);
  sender.restart(200);
  receiver.restart(100);
  std::mt19937 random(7);
  std::vector<uint32_t> delivered;
  uint32_t next_label = 1;
  while (delivered.size() < 500) {
    // Send what the window takes.
    for (wire::Frame f = data_frame(next_label); sender.send(f).ok(); f = data_frame(next_label)) {
      ++next_label;
    }
    // A connection that loses a third of the frames, then breaks: resend the window.
    for (size_t i = 0; i < sender.sending().unacked(); ++i) {
      wire::Frame f = sender.sending().unacked_at(i);
      sender.stamp(f.header);
      if (random() % 3 == 0) continue;
      ASSERT_EQ(receiver.check(f.header), Incarnation::kCurrent);
      Result<Arrival> arrival = receiver.receive(f);
      if (arrival.ok() && *arrival == Arrival::kDeliver) delivered.push_back(f.data.label);
      for (wire::Frame held; receiver.receiving().take_ready(held);) {
        delivered.push_back(held.data.label);
      }
    }
    wire::Frame ack{};
    ack.header.kind = wire::Kind::kAck;
    receiver.stamp(ack.header);
    ASSERT_TRUE(sender.receive(ack).ok());
  }
  for (size_t i = 0; i < delivered.size(); ++i) ASSERT_EQ(delivered[i], i + 1);
  EXPECT_GT(receiver.receiving().duplicates(), 0u);  // resends did arrive twice
}

TEST(IpcmPeerLink, IncarnationsScopeTheStream) {
  PeerLink link(50);
  wire::Header header = wire::sample_frame(wire::Kind::kData).header;
  header.sender_incarnation = 7;
  header.receiver_incarnation = 50;
  EXPECT_EQ(link.check(header), Incarnation::kPeerRebooted);  // first contact
  link.restart(7);
  EXPECT_EQ(link.check(header), Incarnation::kCurrent);
  header.receiver_incarnation = 49;  // sent to this node's previous life
  EXPECT_EQ(link.check(header), Incarnation::kStale);
  header.receiver_incarnation = 0;  // only HELLO and ACK may not know us yet
  EXPECT_EQ(link.check(header), Incarnation::kStale);
  header.kind = wire::Kind::kHello;
  EXPECT_EQ(link.check(header), Incarnation::kCurrent);
  header.sender_incarnation = 6;
  EXPECT_EQ(link.check(header), Incarnation::kStale);  // the peer's previous life
}

TEST(IpcmPeerLink, PeerRebootResetsBothHalves) {
  PeerLink link(50);
  link.restart(7);
  for (uint64_t i = 1; i <= 3; ++i) {
    wire::Frame out = data_frame(0);
    ASSERT_TRUE(link.send(out).ok());
    EXPECT_EQ(out.header.receiver_incarnation, 7u);
    EXPECT_EQ(out.header.sender_incarnation, 50u);
    wire::Frame in = numbered(i);
    in.header.ack = 0;
    ASSERT_EQ(*link.receive(in), Arrival::kDeliver);
  }
  wire::Frame stamped = data_frame(0);
  ASSERT_TRUE(link.send(stamped).ok());
  EXPECT_EQ(stamped.header.ack, 3u);  // the ack rides on every frame
  // The peer comes back as incarnation 8: what incarnation 7 never acknowledged is
  // readable for bouncing, then gone, and both directions number from 1 again.
  EXPECT_EQ(link.sending().unacked(), 4u);
  link.restart(8);
  EXPECT_EQ(link.sending().unacked(), 0u);
  EXPECT_EQ(link.receiving().delivered_through(), 0u);
  wire::Frame fresh = data_frame(0);
  EXPECT_EQ(*link.send(fresh), 1u);
  EXPECT_EQ(fresh.header.receiver_incarnation, 8u);
  EXPECT_EQ(*link.receive(numbered(1)), Arrival::kDeliver);
}

TEST(IpcmPeerLink, BogusAckIsRefused) {
  PeerLink link(50);
  link.restart(7);
  wire::Frame in = numbered(1);
  in.header.ack = 5;  // nothing was sent
  EXPECT_EQ(link.receive(in).error(), Error::kOutOfRange);
  EXPECT_EQ(link.receiving().delivered_through(), 0u);
}

}  // namespace
}  // namespace atoll_os::servers::ipcm
