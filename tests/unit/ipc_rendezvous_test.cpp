// Tests for the IPC rendezvous state machine (object/endpoint.cpp) over simulated threads:
// queue order, calls and replies, failed deliveries, timeouts, dying threads and references.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <vector>

#include "ipc_fixture.h"

namespace atoll_os::kernel {
namespace {

using ipc_test::DeliveryOutcome;
using ipc_test::IpcTest;
using ipc_test::kBlocked;
using ipc_test::kNotFound;
using ipc_test::kSomeTimeout;
using ipc_test::kTimedOut;
using ipc_test::world;

// --- Queue order ---------------------------------------------------------------------------

TEST_F(IpcTest, SendersQueueInFifoOrder) {
  Thread& s1 = thread();
  Thread& s2 = thread();
  Thread& s3 = thread();
  Thread& r = thread();
  EXPECT_EQ(send(s1, abi::kForever, 1), kBlocked);
  EXPECT_EQ(send(s2, abi::kForever, 2), kBlocked);
  EXPECT_EQ(send(s3, abi::kForever, 3), kBlocked);
  for (Thread* s : {&s1, &s2, &s3}) {
    EXPECT_EQ(s->state(), ThreadState::kBlockedSend);
    EXPECT_TRUE(queued(*s));
  }
  EXPECT_TRUE(world().deliveries.empty());

  for (int i = 0; i < 3; ++i) EXPECT_EQ(receive(r), 0);
  expect_delivery(0, s1, r);
  expect_delivery(1, s2, r);
  expect_delivery(2, s3, r);
  EXPECT_EQ(world().deliveries[0].badge, 1u);
  EXPECT_EQ(world().deliveries[2].badge, 3u);
  EXPECT_EQ(world().readied, (std::vector<Thread*>{&s1, &s2, &s3}));
  for (Thread* s : {&s1, &s2, &s3}) expect_woken(*s, 0);
  EXPECT_EQ(r.state(), ThreadState::kReady) << "the receiver never blocked";

  EXPECT_EQ(receive(r), kBlocked) << "nobody left to receive from";
  EXPECT_EQ(r.state(), ThreadState::kBlockedReceive);
}

TEST_F(IpcTest, ReceiversQueueInFifoOrder) {
  Thread& r1 = thread();
  Thread& r2 = thread();
  Thread& r3 = thread();
  Thread& s = thread();
  EXPECT_EQ(receive(r1), kBlocked);
  EXPECT_EQ(receive(r2), kBlocked);
  EXPECT_EQ(receive(r3), kBlocked);
  for (Thread* r : {&r1, &r2, &r3}) {
    EXPECT_EQ(r->state(), ThreadState::kBlockedReceive);
    EXPECT_TRUE(queued(*r));
  }

  for (int i = 0; i < 3; ++i) EXPECT_EQ(send(s), 0);
  expect_delivery(0, s, r1);
  expect_delivery(1, s, r2);
  expect_delivery(2, s, r3);
  EXPECT_EQ(world().readied, (std::vector<Thread*>{&r1, &r2, &r3}));
  for (Thread* r : {&r1, &r2, &r3}) expect_woken(*r, 0);

  EXPECT_EQ(send(s), kBlocked);
  EXPECT_EQ(s.state(), ThreadState::kBlockedSend);
}

TEST_F(IpcTest, SendToAWaitingReceiverDeliversAtOnce) {
  Thread& r = thread();
  Thread& s = thread();
  EXPECT_EQ(receive(r, kSomeTimeout), kBlocked);
  EXPECT_TRUE(r.timeout_link.linked());

  EXPECT_EQ(send(s, abi::kForever, 77), 0);
  ASSERT_EQ(world().deliveries.size(), 1u);
  expect_delivery(0, s, r);
  EXPECT_EQ(world().deliveries[0].badge, 77u);
  expect_woken(r, 0);  // its timeout is cancelled too
  EXPECT_EQ(s.state(), ThreadState::kReady);
  EXPECT_FALSE(queued(s));
  EXPECT_EQ(world().blocks.size(), 1u) << "only the receiver ever blocked";
}

TEST_F(IpcTest, ReceiveFromAQueuedSenderWakesIt) {
  Thread& s = thread();
  Thread& r = thread();
  EXPECT_EQ(send(s, kSomeTimeout), kBlocked);
  EXPECT_EQ(receive(r), 0);
  expect_delivery(0, s, r);
  expect_woken(s, 0);
  EXPECT_EQ(r.ipc.caller, nullptr) << "a send is not a call: nothing is owed";
  EXPECT_EQ(reply(r), kNotFound);
}

// --- Calls and replies -----------------------------------------------------------------------

TEST_F(IpcTest, CallToAWaitingReceiverWaitsForTheReply) {
  Thread& r = thread();
  Thread& c = thread();
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c), kBlocked);
  expect_delivery(0, c, r);
  expect_woken(r, 0);
  EXPECT_EQ(c.state(), ThreadState::kBlockedReply);
  EXPECT_EQ(r.ipc.caller, &c);
  EXPECT_EQ(c.ipc.callee, &r);
  EXPECT_FALSE(queued(c)) << "a caller waiting for its reply is on no queue";
  EXPECT_FALSE(c.timeout_link.linked()) << "a reply is waited for without timeout";
  EXPECT_FALSE(readied(c));
}

TEST_F(IpcTest, ReceivingAQueuedCallTakesOnTheReply) {
  Thread& c = thread();
  Thread& r = thread();
  EXPECT_EQ(call(c, kSomeTimeout), kBlocked);
  EXPECT_EQ(c.state(), ThreadState::kBlockedSend);
  EXPECT_EQ(receive(r), 0);
  expect_delivery(0, c, r);
  EXPECT_EQ(c.state(), ThreadState::kBlockedReply);
  EXPECT_EQ(r.ipc.caller, &c);
  EXPECT_EQ(c.ipc.callee, &r);
  EXPECT_FALSE(queued(c));
  EXPECT_FALSE(c.timeout_link.linked()) << "the send's timeout no longer applies";
  EXPECT_FALSE(readied(c)) << "the caller sleeps on until the reply";
}

TEST_F(IpcTest, ReplyWakesTheCallerAndClearsBothLinks) {
  Thread& r = thread();
  Thread& c = thread();
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c), kBlocked);
  r.ipc.badge = 99;  // left over from something it sent earlier
  EXPECT_EQ(reply(r), 0);
  expect_delivery(1, r, c);
  EXPECT_EQ(world().deliveries[1].badge, 0u) << "a reply carries no badge";
  expect_woken(c, 0);
  EXPECT_EQ(r.ipc.caller, nullptr);
  EXPECT_EQ(c.ipc.callee, nullptr);
  EXPECT_EQ(reply(r), kNotFound) << "the reply was already given";
  EXPECT_EQ(world().deliveries.size(), 2u);
}

TEST_F(IpcTest, ReplyWithoutACallIsNotFound) {
  Thread& r = thread();
  EXPECT_EQ(reply(r), kNotFound);
  EXPECT_TRUE(world().deliveries.empty());
}

TEST_F(IpcTest, FailedReplyStillWakesTheCaller) {
  Thread& r = thread();
  Thread& c = thread();
  Thread& c2 = thread();
  // The replier's message is bad: it hears so, and the caller is not left hanging.
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c), kBlocked);
  world().outcomes.push_back({Error::kInvalidArgument, false});
  EXPECT_EQ(reply(r), -int64_t(Error::kInvalidArgument));
  expect_woken(c, -int64_t(Error::kInvalidArgument));
  EXPECT_EQ(c.ipc.callee, nullptr);
  // The caller's buffer is bad: that is the caller's problem, the replier succeeded.
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c2), kBlocked);
  world().outcomes.push_back({Error::kOutOfRange, true});
  EXPECT_EQ(reply(r), 0);
  expect_woken(c2, -int64_t(Error::kOutOfRange));
}

TEST_F(IpcTest, ReceivingAgainDropsTheOwedReply) {
  Thread& r = thread();
  Thread& c = thread();
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c), kBlocked);
  EXPECT_EQ(receive(r), kBlocked);
  expect_woken(c, kNotFound);
  EXPECT_EQ(c.ipc.callee, nullptr);
  EXPECT_EQ(r.ipc.caller, nullptr);
  EXPECT_EQ(world().deliveries.size(), 1u) << "no reply message was delivered";
  EXPECT_TRUE(queued(r)) << "and the new receive goes ahead";
}

// A receive that finds a call at once owes that one; the dropped one is told first.
TEST_F(IpcTest, ReceivingANewCallDropsTheOldOne) {
  Thread& r = thread();
  Thread& c1 = thread();
  Thread& c2 = thread();
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c1), kBlocked);
  EXPECT_EQ(call(c2), kBlocked);  // queued: r is not receiving
  EXPECT_EQ(receive(r), 0);
  expect_woken(c1, kNotFound);
  EXPECT_EQ(r.ipc.caller, &c2);
  EXPECT_EQ(c2.ipc.callee, &r);
  EXPECT_EQ(reply(r), 0);
  expect_woken(c2, 0);
}

TEST_F(IpcTest, FaultCallReplies) {
  Thread& pager = thread();
  Thread& faulter = thread();
  // Resolved: the faulting thread retries; no message goes back to it.
  EXPECT_EQ(receive(pager), kBlocked);
  EXPECT_EQ(fault_call(faulter, 0x4000, 0x1234), kBlocked);
  EXPECT_EQ(faulter.state(), ThreadState::kBlockedReply);
  EXPECT_EQ(reply(pager, abi::kLabelFaultResolved), 0);
  expect_woken(faulter, 0);
  EXPECT_FALSE(faulter.ipc.is_fault);
  EXPECT_EQ(world().deliveries.size(), 1u);
  EXPECT_TRUE(world().terminations.empty());

  // Refused: the faulting task ends, with the fault recorded.
  EXPECT_EQ(receive(pager), kBlocked);
  world().readied.clear();
  EXPECT_EQ(fault_call(faulter, 0x5000, 0x5678), kBlocked);
  EXPECT_EQ(reply(pager, abi::kLabelFaultRefused), 0);
  ASSERT_EQ(world().terminations.size(), 1u);
  EXPECT_EQ(world().terminations[0].task, task_);
  EXPECT_EQ(world().terminations[0].how, abi::TaskState::kFaulted);
  EXPECT_EQ(world().terminations[0].fault_address, 0x5000u);
  EXPECT_EQ(world().terminations[0].fault_rip, 0x5678u);
  EXPECT_FALSE(readied(faulter));
}

// --- Failed deliveries ---------------------------------------------------------------------

TEST_F(IpcTest, SendersMistakeLeavesTheReceiverFirstInLine) {
  Thread& r1 = thread();
  Thread& r2 = thread();
  Thread& s = thread();
  EXPECT_EQ(receive(r1), kBlocked);
  EXPECT_EQ(receive(r2), kBlocked);
  world().outcomes.push_back({Error::kAccessDenied, false});
  EXPECT_EQ(send(s), -int64_t(Error::kAccessDenied));
  EXPECT_EQ(world().deliveries.size(), 1u) << "the sender's error ends its send";
  EXPECT_TRUE(world().readied.empty());
  EXPECT_TRUE(queued(r1));
  EXPECT_EQ(r1.state(), ThreadState::kBlockedReceive);
  EXPECT_FALSE(queued(s));
  EXPECT_EQ(s.state(), ThreadState::kReady);

  EXPECT_EQ(send(s), 0);
  expect_delivery(1, s, r1);
  expect_woken(r1, 0);
  EXPECT_TRUE(queued(r2));
}

TEST_F(IpcTest, ReceiverFaultWakesThatReceiverAndTriesTheNext) {
  Thread& r1 = thread();
  Thread& r2 = thread();
  Thread& s = thread();
  EXPECT_EQ(receive(r1), kBlocked);
  EXPECT_EQ(receive(r2), kBlocked);
  world().outcomes.push_back({Error::kOutOfRange, true});
  EXPECT_EQ(send(s), 0);
  expect_delivery(0, s, r1);
  expect_delivery(1, s, r2);
  EXPECT_EQ(world().readied, (std::vector<Thread*>{&r1, &r2}));
  expect_woken(r1, -int64_t(Error::kOutOfRange));
  expect_woken(r2, 0);
}

TEST_F(IpcTest, WhenEveryReceiverFaultsTheSenderQueues) {
  Thread& r = thread();
  Thread& c = thread();
  EXPECT_EQ(receive(r), kBlocked);
  world().outcomes.push_back({Error::kOutOfMemory, true});
  EXPECT_EQ(call(c), kBlocked);
  expect_woken(r, -int64_t(Error::kOutOfMemory));
  EXPECT_EQ(c.state(), ThreadState::kBlockedSend);
  EXPECT_TRUE(queued(c));
  EXPECT_EQ(r.ipc.caller, nullptr);
  EXPECT_EQ(c.ipc.callee, nullptr);
}

TEST_F(IpcTest, ReceiversFaultLeavesTheSenderFirstInLine) {
  Thread& s1 = thread();
  Thread& s2 = thread();
  Thread& r = thread();
  EXPECT_EQ(send(s1), kBlocked);
  EXPECT_EQ(send(s2), kBlocked);
  world().outcomes.push_back({Error::kOutOfRange, true});
  EXPECT_EQ(receive(r), -int64_t(Error::kOutOfRange));
  EXPECT_TRUE(world().readied.empty());
  EXPECT_TRUE(queued(s1));
  EXPECT_FALSE(queued(r));
  EXPECT_EQ(r.state(), ThreadState::kReady);

  EXPECT_EQ(receive(r), 0);
  expect_delivery(1, s1, r);
  expect_woken(s1, 0);
  EXPECT_TRUE(queued(s2));
}

TEST_F(IpcTest, SendersFaultWakesThatSenderAndTriesTheNext) {
  Thread& c1 = thread();
  Thread& s2 = thread();
  Thread& r = thread();
  EXPECT_EQ(call(c1), kBlocked);
  EXPECT_EQ(send(s2), kBlocked);
  world().outcomes.push_back({Error::kAccessDenied, false});
  EXPECT_EQ(receive(r), 0);
  expect_delivery(0, c1, r);
  expect_delivery(1, s2, r);
  expect_woken(c1, -int64_t(Error::kAccessDenied));
  EXPECT_EQ(r.ipc.caller, nullptr) << "the failed call is owed nothing";
  EXPECT_EQ(c1.ipc.callee, nullptr);
  expect_woken(s2, 0);
}

// --- Timeouts and polls --------------------------------------------------------------------

TEST_F(IpcTest, TimedOutReceiverLeavesTheQueue) {
  Thread& r1 = thread();
  Thread& r2 = thread();
  Thread& s = thread();
  EXPECT_EQ(receive(r1, kSomeTimeout), kBlocked);
  EXPECT_EQ(receive(r2), kBlocked);
  ASSERT_NE(r1.on_timeout, nullptr);
  ipc_test::expire_timeout(r1);
  expect_woken(r1, kTimedOut);
  EXPECT_TRUE(queued(r2));

  EXPECT_EQ(send(s), 0);
  expect_delivery(0, s, r2);
  EXPECT_EQ(world().deliveries.size(), 1u);
}

TEST_F(IpcTest, TimedOutSenderLeavesTheQueue) {
  Thread& s1 = thread();
  Thread& s2 = thread();
  Thread& s3 = thread();
  Thread& r = thread();
  EXPECT_EQ(send(s1), kBlocked);
  EXPECT_EQ(call(s2, kSomeTimeout), kBlocked);
  EXPECT_EQ(send(s3), kBlocked);
  ipc_test::expire_timeout(s2);
  expect_woken(s2, kTimedOut);
  EXPECT_TRUE(queued(s1));
  EXPECT_TRUE(queued(s3));

  EXPECT_EQ(receive(r), 0);
  EXPECT_EQ(receive(r), 0);
  expect_delivery(0, s1, r);
  expect_delivery(1, s3, r);
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(r.ipc.caller, nullptr);
}

// Revoking a handle wakes the senders queued through it or a copy derived from it (their
// message undelivered, kBadHandle), keeps the others queued in order, and gives back the
// references queued senders held on their handles' revocation nodes.
TEST_F(IpcTest, RevocationCancelsTheSendersQueuedThroughRevokedHandles) {
  RevocationNode* master = RevocationNode::create(nullptr);
  RevocationNode* path = RevocationNode::create(master);  // a copy ipcm handed out
  RevocationNode* other = RevocationNode::create(nullptr);
  Thread& s1 = thread();
  Thread& s2 = thread();
  Thread& s3 = thread();
  Thread& r = thread();
  EXPECT_EQ(call(s1, abi::kForever, path), kBlocked);
  EXPECT_EQ(send(s2, abi::kForever, 2, other), kBlocked);
  EXPECT_EQ(send(s3, abi::kForever, 3, master), kBlocked);
  endpoint_->cancel_revoked_senders();  // nothing revoked yet
  for (Thread* s : {&s1, &s2, &s3}) EXPECT_TRUE(queued(*s));
  master->revoke();
  endpoint_->cancel_revoked_senders();
  expect_woken(s1, -int64_t(Error::kBadHandle));
  expect_woken(s3, -int64_t(Error::kBadHandle));
  EXPECT_EQ(s1.ipc.via, nullptr);
  EXPECT_TRUE(queued(s2));
  EXPECT_EQ(receive(r), 0);
  expect_delivery(0, s2, r);
  EXPECT_EQ(world().deliveries.size(), 1u);
  EXPECT_EQ(receive(r), kBlocked);
  // Only the test's references are left: releasing them frees every node (ASan would see).
  path->release();
  master->release();
  other->release();
}

TEST_F(IpcTest, ThreadsWokenByAPartnerHaveTheirTimeoutCancelled) {
  Thread& r = thread();
  Thread& s = thread();
  Thread& s2 = thread();
  EXPECT_EQ(receive(r, kSomeTimeout), kBlocked);
  EXPECT_EQ(send(s), 0);
  EXPECT_FALSE(r.timeout_link.linked());
  EXPECT_EQ(send(s2, kSomeTimeout), kBlocked);
  EXPECT_EQ(receive(r, kSomeTimeout), 0);
  EXPECT_FALSE(s2.timeout_link.linked());
  EXPECT_TRUE(world().timeouts.empty());
}

TEST_F(IpcTest, PollNeverQueues) {
  Thread& r = thread();
  Thread& s = thread();
  EXPECT_EQ(receive(r, 0), kTimedOut);
  EXPECT_FALSE(queued(r));
  EXPECT_EQ(r.state(), ThreadState::kReady);
  EXPECT_EQ(send(s, 0), kTimedOut);
  EXPECT_EQ(call(s, 0), kTimedOut);
  EXPECT_FALSE(queued(s));
  EXPECT_TRUE(world().blocks.empty());
  EXPECT_TRUE(world().timeouts.empty());
  EXPECT_TRUE(world().deliveries.empty());

  // A poll takes no reference: the endpoint goes with its last handle.
  uint64_t live = KernelObject::live_count();
  close_endpoint();
  EXPECT_EQ(KernelObject::live_count(), live - 1);
}

TEST_F(IpcTest, PollMeetsAWaitingPartner) {
  Thread& r = thread();
  Thread& s = thread();
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(send(s, 0), 0);
  expect_woken(r, 0);
  EXPECT_EQ(send(s), kBlocked);
  EXPECT_EQ(receive(r, 0), 0);
  expect_woken(s, 0);
}

// --- Dying threads -------------------------------------------------------------------------

TEST_F(IpcTest, AbandonTakesAQueuedReceiverOffTheQueue) {
  Thread& r1 = thread();
  Thread& r2 = thread();
  Thread& s = thread();
  EXPECT_EQ(receive(r1, kSomeTimeout), kBlocked);
  EXPECT_EQ(receive(r2), kBlocked);
  ipc_abandon(r1);
  EXPECT_FALSE(queued(r1));
  EXPECT_EQ(r1.ipc.endpoint, nullptr);
  EXPECT_FALSE(r1.timeout_link.linked()) << "its timeout cannot fire on a dead thread";
  EXPECT_FALSE(readied(r1)) << "a dying thread is not woken";

  EXPECT_EQ(send(s), 0);
  expect_delivery(0, s, r2);
}

TEST_F(IpcTest, AbandonTakesAQueuedSenderOffTheQueue) {
  Thread& s1 = thread();
  Thread& s2 = thread();
  Thread& r = thread();
  EXPECT_EQ(call(s1), kBlocked);
  EXPECT_EQ(send(s2), kBlocked);
  ipc_abandon(s1);
  EXPECT_FALSE(queued(s1));
  EXPECT_TRUE(queued(s2));
  EXPECT_EQ(receive(r), 0);
  expect_delivery(0, s2, r);
  EXPECT_EQ(receive(r), kBlocked);
}

TEST_F(IpcTest, AbandonOfAThreadOwingAReplyTellsTheCaller) {
  Thread& r = thread();
  Thread& c = thread();
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c), kBlocked);
  ipc_abandon(r);
  expect_woken(c, kNotFound);
  EXPECT_EQ(c.ipc.callee, nullptr);
  EXPECT_EQ(r.ipc.caller, nullptr);
  EXPECT_TRUE(world().terminations.empty());
}

TEST_F(IpcTest, AbandonOfAThreadOwingAFaultReplyEndsTheFaultingTask) {
  Thread& pager = thread();
  Thread& faulter = thread();
  EXPECT_EQ(receive(pager), kBlocked);
  EXPECT_EQ(fault_call(faulter, 0xdead000, 0x401000), kBlocked);
  ipc_abandon(pager);
  ASSERT_EQ(world().terminations.size(), 1u);
  const auto& t = world().terminations[0];
  EXPECT_EQ(t.task, faulter.task());
  EXPECT_EQ(t.how, abi::TaskState::kFaulted);
  EXPECT_EQ(t.fault_address, 0xdead000u);
  EXPECT_EQ(t.fault_rip, 0x401000u);
  EXPECT_FALSE(readied(faulter)) << "a fault has no result to return to";
  EXPECT_EQ(pager.ipc.caller, nullptr);
  EXPECT_EQ(faulter.ipc.callee, nullptr);
}

TEST_F(IpcTest, AbandonOfACallerWaitingForItsReply) {
  Thread& r = thread();
  Thread& c = thread();
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c), kBlocked);
  ipc_abandon(c);
  EXPECT_EQ(c.ipc.callee, nullptr);
  EXPECT_EQ(r.ipc.caller, &c) << "the receiver finds out when it replies";

  // The dead caller stays allocated while the receiver still names it. (Its state is left
  // as ipc_abandon left it: the severed link alone must stop the reply.)
  threads_.erase(std::find(threads_.begin(), threads_.end(), &c));
  uint64_t live = KernelObject::live_count();
  c.release();
  EXPECT_EQ(KernelObject::live_count(), live);

  EXPECT_EQ(reply(r), kNotFound);
  EXPECT_EQ(world().deliveries.size(), 1u) << "nothing is delivered to a dead caller";
  EXPECT_EQ(r.ipc.caller, nullptr);
  EXPECT_EQ(KernelObject::live_count(), live - 1) << "the last reference went with the reply";
}

TEST_F(IpcTest, AbandonUnlinksANotificationWait) {
  Thread& t = thread();
  Notification* n = ipc_test::make_notification();
  t.ipc.notification = n;
  ipc_abandon(t);
  EXPECT_EQ(world().notification_unlinks, (std::vector<Thread*>{&t}));
  EXPECT_EQ(t.ipc.notification, nullptr);
  n->release();
}

TEST_F(IpcTest, AbandonOfAnIdleThreadChangesNothing) {
  Thread& t = thread();
  ipc_abandon(t);
  EXPECT_TRUE(world().readied.empty());
  EXPECT_TRUE(world().notification_unlinks.empty());
  EXPECT_TRUE(world().terminations.empty());
  EXPECT_EQ(t.state(), ThreadState::kReady);
}

// --- References ----------------------------------------------------------------------------

TEST_F(IpcTest, QueuedThreadsKeepAClosedEndpointAlive) {
  Thread& r1 = thread();
  Thread& r2 = thread();
  EXPECT_EQ(receive(r1, kSomeTimeout), kBlocked);
  EXPECT_EQ(receive(r2), kBlocked);

  uint64_t live = KernelObject::live_count();
  close_endpoint();
  EXPECT_EQ(KernelObject::live_count(), live) << "freed under two queued threads";
  ipc_test::expire_timeout(r1);  // unlinks through r1's endpoint pointer
  expect_woken(r1, kTimedOut);
  EXPECT_EQ(KernelObject::live_count(), live) << "freed under a queued thread";
  ipc_abandon(r2);  // unlinks through r2's endpoint pointer
  EXPECT_EQ(KernelObject::live_count(), live - 1)
      << "the last queued thread held the last reference";
}

TEST_F(IpcTest, QueuedSendersKeepAClosedEndpointAlive) {
  Thread& s = thread();
  EXPECT_EQ(call(s, kSomeTimeout), kBlocked);
  uint64_t live = KernelObject::live_count();
  close_endpoint();
  EXPECT_EQ(KernelObject::live_count(), live);
  ipc_test::expire_timeout(s);
  expect_woken(s, kTimedOut);
  EXPECT_EQ(KernelObject::live_count(), live - 1);
}

TEST_F(IpcTest, RendezvousLeavesNoReferenceBehind) {
  Thread& r = thread();
  Thread& s = thread();
  Thread& c = thread();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(receive(r), kBlocked);
    EXPECT_EQ(send(s), 0);
    EXPECT_EQ(send(s), kBlocked);
    EXPECT_EQ(receive(r), 0);
    EXPECT_EQ(call(c), kBlocked);
    EXPECT_EQ(receive(r), 0);
    EXPECT_EQ(reply(r), 0);
    world().outcomes.push_back({Error::kOutOfRange, true});
    EXPECT_EQ(receive(r), kBlocked);
    EXPECT_EQ(send(s), kBlocked);  // r's buffer is bad: r is woken with the error, s waits
    world().outcomes.push_back({Error::kOutOfRange, true});
    EXPECT_EQ(receive(r), -int64_t(Error::kOutOfRange));
    EXPECT_EQ(receive(r), 0);
  }
  uint64_t live = KernelObject::live_count();
  close_endpoint();
  EXPECT_EQ(KernelObject::live_count(), live - 1) << "some path kept an endpoint reference";
}

TEST_F(IpcTest, OwedReplyHoldsTheCaller) {
  Thread& r = thread();
  Thread& c = thread();
  EXPECT_EQ(receive(r), kBlocked);
  EXPECT_EQ(call(c), kBlocked);
  ipc_abandon(c);  // its task dies...
  c.set_state(ThreadState::kDead);
  threads_.erase(std::find(threads_.begin(), threads_.end(), &c));
  uint64_t live = KernelObject::live_count();
  c.release();
  EXPECT_EQ(KernelObject::live_count(), live) << "r still owes c a reply";
  EXPECT_EQ(receive(r), kBlocked);  // ...and r drops the reply without telling anyone
  EXPECT_FALSE(readied(c));
  EXPECT_EQ(KernelObject::live_count(), live - 1);
}

// --- Against a model -----------------------------------------------------------------------

// Random sends, receives (some polling, some timed), expiring timeouts, dying threads and
// failing deliveries, checked against two FIFO queues.
TEST_F(IpcTest, RandomTrafficMatchesAQueueModel) {
  std::mt19937 random(4242);
  std::deque<Thread*> senders;
  std::deque<Thread*> receivers;
  std::vector<Thread*> idle;
  for (int i = 0; i < 12; ++i) idle.push_back(&thread());
  auto remove = [](std::deque<Thread*>& q, Thread* t) {
    auto it = std::find(q.begin(), q.end(), t);
    if (it == q.end()) return false;
    q.erase(it);
    return true;
  };
  auto pick = [&](auto& from) {
    size_t i = random() % from.size();
    auto* t = from[i];
    from.erase(from.begin() + i);
    return t;
  };

  for (int step = 0; step < 5000; ++step) {
    SCOPED_TRACE(::testing::Message() << "step " << step);
    // Up to two scripted delivery outcomes for this step; the model reads the same list.
    std::deque<DeliveryOutcome> script;
    for (int i = random() % 3; i > 0; --i) {
      int kind = random() % 4;
      script.push_back(kind == 0   ? DeliveryOutcome{Error::kAccessDenied, false}
                       : kind == 1 ? DeliveryOutcome{Error::kOutOfRange, true}
                                   : DeliveryOutcome{Error::kOk, false});
    }
    world().outcomes = script;
    world().readied.clear();
    auto next_outcome = [&] {
      if (script.empty()) return DeliveryOutcome{Error::kOk, false};
      auto o = script.front();
      script.pop_front();
      return o;
    };
    std::vector<std::pair<Thread*, int64_t>> woken;  // expected, in order

    int op = random() % 10;
    if (op < 3 && !idle.empty()) {  // send
      Thread* s = pick(idle);
      uint64_t timeout = random() % 3 == 0 ? 0 : random() % 2 ? kSomeTimeout : abi::kForever;
      int64_t expected = kBlocked;
      while (!receivers.empty()) {
        Thread* r = receivers.front();
        DeliveryOutcome o = next_outcome();
        if (o.error != Error::kOk && !o.receiver_fault) {
          expected = -int64_t(o.error);
          break;
        }
        receivers.pop_front();
        woken.push_back({r, o.error == Error::kOk ? 0 : -int64_t(o.error)});
        if (o.error == Error::kOk) {
          expected = 0;
          break;
        }
      }
      if (expected == kBlocked && timeout == 0) expected = kTimedOut;
      ASSERT_EQ(send(*s, timeout), expected);
      if (expected == kBlocked) {
        senders.push_back(s);
      } else {
        idle.push_back(s);
      }
      for (auto& [r, _] : woken) idle.push_back(r);
    } else if (op < 6 && !idle.empty()) {  // receive
      Thread* r = pick(idle);
      uint64_t timeout = random() % 3 == 0 ? 0 : random() % 2 ? kSomeTimeout : abi::kForever;
      int64_t expected = kBlocked;
      while (!senders.empty()) {
        Thread* s = senders.front();
        DeliveryOutcome o = next_outcome();
        if (o.error != Error::kOk && o.receiver_fault) {
          expected = -int64_t(o.error);
          break;
        }
        senders.pop_front();
        woken.push_back({s, o.error == Error::kOk ? 0 : -int64_t(o.error)});
        if (o.error == Error::kOk) {
          expected = 0;
          break;
        }
      }
      if (expected == kBlocked && timeout == 0) expected = kTimedOut;
      ASSERT_EQ(receive(*r, timeout), expected);
      if (expected == kBlocked) {
        receivers.push_back(r);
      } else {
        idle.push_back(r);
      }
      for (auto& [s, _] : woken) idle.push_back(s);
    } else if (op < 8 && !world().timeouts.empty()) {  // a deadline passes
      Thread* t = world().timeouts.front();
      ASSERT_TRUE(remove(senders, t) || remove(receivers, t));
      ipc_test::expire_timeout(*t);
      woken.push_back({t, kTimedOut});
      idle.push_back(t);
    } else if (op < 9 && (!senders.empty() || !receivers.empty())) {  // a queued thread dies
      auto& from = senders.empty() || (!receivers.empty() && random() % 2) ? receivers : senders;
      Thread* t = pick(from);
      ipc_abandon(*t);
      ASSERT_FALSE(queued(*t));
      ASSERT_FALSE(t->timeout_link.linked());
      t->set_state(ThreadState::kReady);  // reborn, to keep the cast small
      idle.push_back(t);
    } else {
      continue;
    }

    ASSERT_EQ(world().readied.size(), woken.size());
    for (size_t i = 0; i < woken.size(); ++i) {
      ASSERT_EQ(world().readied[i], woken[i].first) << "wake " << i;
      ASSERT_EQ(woken[i].first->ipc.result, woken[i].second) << "wake " << i;
    }
    ASSERT_TRUE(senders.empty() || receivers.empty()) << "a sender and a receiver both wait";
    for (Thread* t : senders) {
      ASSERT_TRUE(queued(*t));
      ASSERT_EQ(t->state(), ThreadState::kBlockedSend);
    }
    for (Thread* t : receivers) {
      ASSERT_TRUE(queued(*t));
      ASSERT_EQ(t->state(), ThreadState::kBlockedReceive);
    }
    for (Thread* t : idle) {
      ASSERT_FALSE(queued(*t));
      ASSERT_FALSE(t->timeout_link.linked());
      ASSERT_EQ(t->state(), ThreadState::kReady);
    }
  }
  // The queued threads' references are all the endpoint has left besides the test's.
  uint64_t live = KernelObject::live_count();
  close_endpoint();
  EXPECT_EQ(KernelObject::live_count(), live - (senders.empty() && receivers.empty() ? 1 : 0));
}

}  // namespace
}  // namespace atoll_os::kernel
