// Tests for the IPC fastpaths (object/ipc_fastpath.cpp): call to a waiting receiver and
// reply-then-receive hand over plain messages and the CPU, leaving the same state as the
// general path; whenever a condition fails they decline and change nothing.
#include <gtest/gtest.h>
#include <string.h>

#include <functional>
#include <vector>

#include "arch/x86_64/user_address_space.h"
#include "atoll/abi/process.h"
#include "ipc_fixture.h"

namespace atoll_os::kernel {
namespace {

using abi::MessageHeader;
using ipc_test::IpcTest;
using ipc_test::kBlocked;
using ipc_test::user_bytes;
using ipc_test::user_pte;
using ipc_test::world;

// Page-aligned user addresses of the message buffers, in each thread's own task.
constexpr uint64_t kCallerBuffer = 0x10000;
constexpr uint64_t kServerBuffer = 0x20000;
constexpr uint8_t kGarbage = 0xcc;

class IpcFastpathTest : public IpcTest {
 public:  // the refusal cases below arrange their conditions from outside
  void SetUp() override {
    IpcTest::SetUp();
    caller_ = &thread(task_);
    server_ = &thread(&other_task());
    ipc_test::map_user_page(*task_, kCallerBuffer, true);
    ipc_test::map_user_page(other_task(), kServerBuffer, true);
    memset(user_bytes(*task_, kCallerBuffer), kGarbage, kPageSize);
    memset(user_bytes(other_task(), kServerBuffer), kGarbage, kPageSize);
  }

  // A message in user memory: header (with stray grant fields and reserved bits that a
  // plain message's receiver must not see) and a recognisable payload.
  static void write_message(Task& task, uint64_t address, uint64_t label, uint32_t length,
                            uint8_t fill) {
    MessageHeader h{};
    h.label = label;
    h.length = length;
    h.reserved = 0x5a5a;
    h.badge = 0xbadbad;
    h.handles[0] = 0x1234;
    h.grant_address = 0x7000'0000;
    h.grant_length = 0x3000;
    uint8_t* to = user_bytes(task, address);
    memcpy(to, &h, sizeof(h));
    memset(to + sizeof(h), fill, length);
  }
  static MessageHeader header_at(Task& task, uint64_t address) {
    MessageHeader h;
    memcpy(&h, user_bytes(task, address), sizeof(h));
    return h;
  }
  // The header a receiver must find: the sender's label, length and the given badge, and
  // nothing else.
  static void expect_plain_header(const MessageHeader& h, uint64_t label, uint32_t length,
                                  uint64_t badge) {
    EXPECT_EQ(h.label, label);
    EXPECT_EQ(h.length, length);
    EXPECT_EQ(h.handle_count, 0u);
    EXPECT_EQ(h.flags, 0u);
    EXPECT_EQ(h.reserved, 0u);
    EXPECT_EQ(h.badge, badge);
    for (abi::Handle handle : h.handles) EXPECT_EQ(handle, 0u);
    EXPECT_EQ(h.grant_address, 0u);
    EXPECT_EQ(h.grant_length, 0u);
  }
  static void expect_bytes(const uint8_t* at, size_t length, uint8_t value) {
    for (size_t i = 0; i < length; ++i) ASSERT_EQ(at[i], value) << "byte " << i;
  }

  // The server waits in a general receive on its buffer, as receive_on() prepares it.
  void server_waits(uint64_t timeout_ns = abi::kForever, uint64_t buffer = kServerBuffer) {
    server_->ipc.buffer = buffer;
    server_->ipc.header = {};
    ASSERT_EQ(receive(*server_, timeout_ns), kBlocked);
  }
  bool call_fast(uint64_t badge, uint64_t buffer, int64_t& result) {
    world().current = caller_;
    return endpoint_->call_fast(*caller_, badge, buffer, result);
  }
  bool reply_receive_fast(uint64_t buffer, uint64_t timeout_ns, int64_t& result) {
    world().current = server_;
    return endpoint_->reply_receive_fast(*server_, buffer, timeout_ns, result);
  }
  // The server owes the caller a reply, after a call that went the fast way.
  void server_owes_caller() {
    server_waits();
    write_message(*task_, kCallerBuffer, 1, 8, 0x11);
    int64_t result = 0;
    ASSERT_TRUE(call_fast(0, kCallerBuffer, result));
    ASSERT_EQ(server_->ipc.caller, caller_);
    memset(user_bytes(*task_, kCallerBuffer), kGarbage, kPageSize);
    world().switches.clear();
  }

  Thread* caller_ = nullptr;
  Thread* server_ = nullptr;
};

// --- call_fast -------------------------------------------------------------------------------

TEST_F(IpcFastpathTest, CallHandsTheMessageAndTheCpuToAWaitingReceiver) {
  server_waits(ipc_test::kSomeTimeout);
  write_message(*task_, kCallerBuffer, 0x42, 100, 0x3c);
  int64_t result = 0;
  ASSERT_TRUE(call_fast(0x77, kCallerBuffer, result));
  EXPECT_EQ(result, kBlocked);

  // The message, with the handle's badge, and not a byte more.
  expect_plain_header(header_at(other_task(), kServerBuffer), 0x42, 100, 0x77);
  const uint8_t* payload = user_bytes(other_task(), kServerBuffer) + sizeof(MessageHeader);
  expect_bytes(payload, 100, 0x3c);
  expect_bytes(payload + 100, kPageSize - sizeof(MessageHeader) - 100, kGarbage);
  uint64_t dirty = x86_64::kPteDirty | x86_64::kPteAccessed;
  EXPECT_EQ(*user_pte(other_task(), kServerBuffer) & dirty, dirty)
      << "a kernel write must look like a CPU write to pre-copy migration";
  EXPECT_EQ(*user_pte(*task_, kCallerBuffer) & x86_64::kPteDirty, 0u) << "only read";

  // The state the general path leaves: the receiver runs, owing the caller its reply.
  ASSERT_EQ(world().switches.size(), 1u);
  EXPECT_EQ(world().switches[0].from, caller_);
  EXPECT_EQ(world().switches[0].to, server_);
  EXPECT_EQ(world().switches[0].state, ThreadState::kBlockedReply);
  EXPECT_EQ(server_->state(), ThreadState::kReady);
  EXPECT_EQ(server_->ipc.result, 0);
  EXPECT_FALSE(queued(*server_));
  EXPECT_FALSE(server_->timeout_link.linked()) << "its receive timeout must not fire later";
  EXPECT_EQ(caller_->state(), ThreadState::kBlockedReply);
  EXPECT_EQ(server_->ipc.caller, caller_);
  EXPECT_EQ(caller_->ipc.callee, server_);
  EXPECT_TRUE(caller_->ipc.is_call);
  EXPECT_EQ(caller_->ipc.buffer, kCallerBuffer);
  EXPECT_TRUE(world().deliveries.empty()) << "the fastpath copies by itself";

  // The general reply completes it.
  EXPECT_EQ(reply(*server_), 0);
  expect_woken(*caller_, 0);
  EXPECT_EQ(server_->ipc.caller, nullptr);
}

TEST_F(IpcFastpathTest, CallMayRunAReceiverOfTheBestReadyPriority) {
  server_waits();
  world().highest_ready = server_->priority();  // equal: the receiver overtakes nobody
  write_message(*task_, kCallerBuffer, 1, 0, 0);
  int64_t result = 0;
  EXPECT_TRUE(call_fast(0, kCallerBuffer, result));
}

TEST_F(IpcFastpathTest, CallFillsAWholePage) {
  constexpr uint32_t kLength = abi::kMessagePayloadMax;
  uint64_t caller_at = kCallerBuffer + kPageSize - sizeof(MessageHeader) - kLength;
  uint64_t server_at = kServerBuffer + kPageSize - sizeof(MessageHeader) - kLength;
  server_waits(abi::kForever, server_at);
  write_message(*task_, caller_at, 9, kLength, 0x99);
  int64_t result = 0;
  ASSERT_TRUE(call_fast(0, caller_at, result));
  expect_plain_header(header_at(other_task(), server_at), 9, kLength, 0);
  expect_bytes(user_bytes(other_task(), server_at) + sizeof(MessageHeader), kLength, 0x99);
}

void set_header_field(Task& task, uint64_t address, void (*change)(MessageHeader&)) {
  MessageHeader h;
  memcpy(&h, user_bytes(task, address), sizeof(h));
  change(h);
  memcpy(user_bytes(task, address), &h, sizeof(h));
}

// A payload whose every byte tells where it came from.
void write_pattern(uint8_t* to, size_t length) {
  for (size_t i = 0; i < length; ++i) to[i] = uint8_t(i * 7 + 1);
}
void expect_pattern(const uint8_t* at, size_t length) {
  for (size_t i = 0; i < length; ++i) ASSERT_EQ(at[i], uint8_t(i * 7 + 1)) << "byte " << i;
}

// Two threads of one task (or of tasks sharing a frame) may place the caller's message just
// after the receiver's buffer in the same page. The receiver must still get the message the
// caller sent: in particular a length that is the number of bytes copied, at most
// kMessagePayloadMax, as the general path guarantees by building the header in the kernel.
TEST_F(IpcFastpathTest, CallIntoAnOverlappingBufferKeepsTheMessage) {
  constexpr uint32_t kLength = 100;
  for (uint64_t apart :
       {sizeof(MessageHeader), sizeof(MessageHeader) + 40, 2 * sizeof(MessageHeader)}) {
    SCOPED_TRACE(::testing::Message() << "sent " << apart << " bytes after the receive buffer");
    Thread& server = thread(task_);  // the caller's task, whose page both buffers share
    uint64_t receive_at = kCallerBuffer;
    uint64_t send_at = kCallerBuffer + apart;
    server.ipc.buffer = receive_at;
    server.ipc.header = {};
    ASSERT_EQ(receive(server), kBlocked);
    write_message(*task_, send_at, 0x42, kLength, 0);
    write_pattern(user_bytes(*task_, send_at) + sizeof(MessageHeader), kLength);
    int64_t result = 0;
    ASSERT_TRUE(call_fast(0, send_at, result));
    expect_plain_header(header_at(*task_, receive_at), 0x42, kLength, 0);
    expect_pattern(user_bytes(*task_, receive_at) + sizeof(MessageHeader), kLength);
    ASSERT_EQ(reply(server), 0);  // frees the caller for the next round
  }
}

// The same for a reply written just after the caller's buffer; the receive that follows
// keeps the window the server asked for, though the reply's payload overwrote it.
TEST_F(IpcFastpathTest, ReplyIntoAnOverlappingBufferKeepsMessageAndWindow) {
  constexpr uint32_t kLength = 100;
  Thread& server = thread(task_);
  server.ipc.buffer = kCallerBuffer + kPageSize / 2;
  server.ipc.header = {};
  ASSERT_EQ(receive(server), kBlocked);
  write_message(*task_, kCallerBuffer, 1, 0, 0);
  int64_t result = 0;
  ASSERT_TRUE(call_fast(0, kCallerBuffer, result));  // the reply will land at kCallerBuffer

  uint64_t reply_at = kCallerBuffer + sizeof(MessageHeader);
  write_message(*task_, reply_at, 7, kLength, 0);
  set_header_field(*task_, reply_at, [](MessageHeader& h) {
    h.grant_address = 0x4000'0000;
    h.grant_length = 2 * kPageSize;
  });
  write_pattern(user_bytes(*task_, reply_at) + sizeof(MessageHeader), kLength);
  world().current = &server;
  ASSERT_TRUE(endpoint_->reply_receive_fast(server, reply_at, abi::kForever, result));
  expect_plain_header(header_at(*task_, kCallerBuffer), 7, kLength, 0);
  expect_pattern(user_bytes(*task_, kCallerBuffer) + sizeof(MessageHeader), kLength);
  EXPECT_EQ(server.ipc.header.grant_address, 0x4000'0000u);
  EXPECT_EQ(server.ipc.header.grant_length, 2 * kPageSize);
  EXPECT_EQ(server.ipc.header.length, kLength);
}

// The arguments of a fastpath call, for a refusal case to spoil.
struct FastArgs {
  uint64_t buffer;
  uint64_t timeout_ns = abi::kForever;
};

struct Refusal {
  const char* name;
  std::function<void(IpcFastpathTest&, FastArgs&)> arrange;
};

// Each case spoils one condition of an otherwise good fast call.
class CallFastRefusalTest : public IpcFastpathTest,
                            public ::testing::WithParamInterface<Refusal> {};

TEST_P(CallFastRefusalTest, DeclinesAndChangesNothing) {
  server_waits(ipc_test::kSomeTimeout);
  write_message(*task_, kCallerBuffer, 0x42, 100, 0x3c);
  FastArgs args{kCallerBuffer};
  GetParam().arrange(*this, args);
  std::vector<uint8_t> before(user_bytes(other_task(), kServerBuffer),
                              user_bytes(other_task(), kServerBuffer) + kPageSize);
  uint64_t pte_before = *user_pte(other_task(), kServerBuffer);
  ThreadState server_state = server_->state();

  int64_t result = 12345;
  EXPECT_FALSE(call_fast(0x77, args.buffer, result));
  EXPECT_EQ(result, 12345);
  EXPECT_TRUE(world().switches.empty());
  EXPECT_EQ(caller_->state(), ThreadState::kReady);
  EXPECT_EQ(caller_->ipc.callee, nullptr);
  EXPECT_EQ(server_->ipc.caller, nullptr);
  EXPECT_EQ(server_->state(), server_state);
  EXPECT_EQ(queued(*server_), server_state == ThreadState::kBlockedReceive);
  EXPECT_EQ(server_->timeout_link.linked(), server_state == ThreadState::kBlockedReceive);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), user_bytes(other_task(), kServerBuffer)))
      << "the receiver's buffer was written";
  EXPECT_EQ(*user_pte(other_task(), kServerBuffer), pte_before);
}

INSTANTIATE_TEST_SUITE_P(
    EveryCondition, CallFastRefusalTest,
    ::testing::Values(
        Refusal{"NoReceiverWaits",
                [](IpcFastpathTest& t, FastArgs&) {
                  ipc_test::expire_timeout(*t.server_);
                  world().readied.clear();
                }},
        Refusal{"ReceiverSuspended",
                [](IpcFastpathTest& t, FastArgs&) { t.server_->set_suspended(true); }},
        Refusal{"BetterThreadReady",
                [](IpcFastpathTest& t, FastArgs&) {
                  world().highest_ready = t.server_->priority() + 1;
                }},
        Refusal{"MessageWithHandles",
                [](IpcFastpathTest& t, FastArgs&) {
                  set_header_field(*t.task_, kCallerBuffer,
                                   [](MessageHeader& h) { h.handle_count = 1; });
                }},
        Refusal{"MessageWithGrant",
                [](IpcFastpathTest& t, FastArgs&) {
                  set_header_field(*t.task_, kCallerBuffer,
                                   [](MessageHeader& h) { h.flags = abi::kMessageGrant; });
                }},
        Refusal{"UnknownFlags",
                [](IpcFastpathTest& t, FastArgs&) {
                  set_header_field(*t.task_, kCallerBuffer,
                                   [](MessageHeader& h) { h.flags = 1u << 7; });
                }},
        Refusal{"PayloadTooLong",
                [](IpcFastpathTest& t, FastArgs&) {
                  set_header_field(*t.task_, kCallerBuffer, [](MessageHeader& h) {
                    h.length = abi::kMessagePayloadMax + 1;
                  });
                }},
        Refusal{"SenderMessageCrossesAPage",
                [](IpcFastpathTest& t, FastArgs& args) {
                  // The header fits; 100 bytes of payload would run 36 into the next page.
                  args.buffer = kCallerBuffer + kPageSize - sizeof(MessageHeader) - 64;
                  t.write_message(*t.task_, args.buffer, 1, 0, 0);
                  set_header_field(*t.task_, args.buffer, [](MessageHeader& h) { h.length = 100; });
                }},
        Refusal{
            "SenderHeaderCrossesAPage",
            [](IpcFastpathTest&, FastArgs& args) { args.buffer = kCallerBuffer + kPageSize - 32; }},
        Refusal{"SenderBufferMisaligned",
                [](IpcFastpathTest& t, FastArgs& args) {
                  args.buffer = kCallerBuffer + 4;
                  t.write_message(*t.task_, args.buffer, 1, 8, 0x3c);
                }},
        Refusal{"SenderBufferUnmapped",
                [](IpcFastpathTest&, FastArgs& args) { args.buffer = kCallerBuffer + kPageSize; }},
        Refusal{"SenderBufferNotUser",
                [](IpcFastpathTest& t, FastArgs&) {
                  *user_pte(*t.task_, kCallerBuffer) &= ~uint64_t(1u << 2);
                }},
        Refusal{"SenderBufferBeyondUserSpace",
                [](IpcFastpathTest&, FastArgs& args) { args.buffer = abi::kUserSpaceEnd; }},
        Refusal{"ReceiverBufferReadOnly",
                [](IpcFastpathTest& t, FastArgs&) {
                  *user_pte(t.other_task(), kServerBuffer) &= ~uint64_t(1u << 1);
                }},
        Refusal{"ReceiverBufferUnmapped",
                [](IpcFastpathTest& t, FastArgs&) {
                  t.server_->ipc.buffer = kServerBuffer + kPageSize;
                }},
        Refusal{"MessageCrossesTheReceiversPage",
                [](IpcFastpathTest& t, FastArgs&) {
                  t.server_->ipc.buffer = kServerBuffer + kPageSize - sizeof(MessageHeader) - 99;
                }},
        Refusal{"ReceiverBufferMisaligned",
                [](IpcFastpathTest& t, FastArgs&) { t.server_->ipc.buffer = kServerBuffer + 4; }}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return info.param.name; });

// --- reply_receive_fast ----------------------------------------------------------------------

TEST_F(IpcFastpathTest, ReplyReceiveAnswersTheCallerAndWaitsAgain) {
  server_owes_caller();
  write_message(other_task(), kServerBuffer, 7, 20, 0x5e);
  set_header_field(other_task(), kServerBuffer, [](MessageHeader& h) {
    h.grant_address = 0x4000'0000;  // the window of the receive that follows
    h.grant_length = 2 * kPageSize;
  });
  int64_t result = 0;
  ASSERT_TRUE(reply_receive_fast(kServerBuffer, abi::kForever, result));
  EXPECT_EQ(result, kBlocked);

  // The reply carries no badge and none of the window.
  expect_plain_header(header_at(*task_, kCallerBuffer), 7, 20, 0);
  const uint8_t* payload = user_bytes(*task_, kCallerBuffer) + sizeof(MessageHeader);
  expect_bytes(payload, 20, 0x5e);
  expect_bytes(payload + 20, 100, kGarbage);
  EXPECT_NE(*user_pte(*task_, kCallerBuffer) & x86_64::kPteDirty, 0u);

  ASSERT_EQ(world().switches.size(), 1u);
  EXPECT_EQ(world().switches[0].from, server_);
  EXPECT_EQ(world().switches[0].to, caller_);
  EXPECT_EQ(world().switches[0].state, ThreadState::kBlockedReceive);
  EXPECT_EQ(caller_->state(), ThreadState::kReady);
  EXPECT_EQ(caller_->ipc.result, 0);
  EXPECT_EQ(caller_->ipc.callee, nullptr);
  EXPECT_EQ(server_->ipc.caller, nullptr);
  EXPECT_TRUE(queued(*server_));
  EXPECT_EQ(server_->state(), ThreadState::kBlockedReceive);
  EXPECT_EQ(server_->ipc.buffer, kServerBuffer);
  EXPECT_EQ(server_->ipc.header.grant_address, 0x4000'0000u);
  EXPECT_EQ(server_->ipc.header.grant_length, 2 * kPageSize);

  // The server's receive goes on as a general one.
  Thread& other = thread();
  EXPECT_EQ(send(other), 0);
  expect_delivery(0, other, *server_);
  expect_woken(*server_, 0);
}

TEST_F(IpcFastpathTest, ReplyReceiveGivesBackTheReferenceTheReplyHeld) {
  server_owes_caller();
  write_message(other_task(), kServerBuffer, 7, 0, 0);
  int64_t result = 0;
  ASSERT_TRUE(reply_receive_fast(kServerBuffer, abi::kForever, result));
  // The caller's last reference besides the owed reply's is the fixture's.
  threads_.erase(std::find(threads_.begin(), threads_.end(), caller_));
  uint64_t live = KernelObject::live_count();
  caller_->set_state(ThreadState::kDead);
  caller_->release();
  EXPECT_EQ(KernelObject::live_count(), live - 1);
}

TEST_F(IpcFastpathTest, ServerThatCallsFastThenRepliesFastRoundTrips) {
  for (int i = 0; i < 3; ++i) {
    if (i == 0) server_waits();
    write_message(*task_, kCallerBuffer, 100 + i, 16, uint8_t(i));
    int64_t result = 0;
    ASSERT_TRUE(call_fast(5, kCallerBuffer, result)) << "round " << i;
    expect_plain_header(header_at(other_task(), kServerBuffer), 100 + i, 16, 5);
    write_message(other_task(), kServerBuffer, 200 + i, 16, uint8_t(0x80 + i));
    ASSERT_TRUE(reply_receive_fast(kServerBuffer, abi::kForever, result)) << "round " << i;
    expect_plain_header(header_at(*task_, kCallerBuffer), 200 + i, 16, 0);
    EXPECT_EQ(caller_->ipc.result, 0);
  }
  EXPECT_EQ(world().switches.size(), 6u);
  uint64_t live = KernelObject::live_count();
  ipc_abandon(*server_);
  close_endpoint();
  EXPECT_EQ(KernelObject::live_count(), live - 1) << "the endpoint's references are balanced";
}

class ReplyReceiveFastRefusalTest : public IpcFastpathTest,
                                    public ::testing::WithParamInterface<Refusal> {};

TEST_P(ReplyReceiveFastRefusalTest, DeclinesAndChangesNothing) {
  server_owes_caller();
  write_message(other_task(), kServerBuffer, 7, 20, 0x5e);
  FastArgs args{kServerBuffer};
  GetParam().arrange(*this, args);
  Thread* owed = server_->ipc.caller;
  ThreadState caller_state = caller_->state();
  Thread* callee = caller_->ipc.callee;
  size_t readied = world().readied.size();

  int64_t result = 12345;
  EXPECT_FALSE(reply_receive_fast(args.buffer, args.timeout_ns, result));
  EXPECT_EQ(result, 12345);
  EXPECT_TRUE(world().switches.empty());
  EXPECT_EQ(server_->ipc.caller, owed) << "the reply is still owed";
  EXPECT_EQ(caller_->state(), caller_state);
  EXPECT_EQ(caller_->ipc.callee, callee);
  EXPECT_FALSE(queued(*server_)) << "the server did not start receiving";
  EXPECT_EQ(world().readied.size(), readied);
  expect_bytes(user_bytes(*task_, kCallerBuffer), kPageSize, kGarbage);
}

INSTANTIATE_TEST_SUITE_P(
    EveryCondition, ReplyReceiveFastRefusalTest,
    ::testing::Values(
        Refusal{"OwesNoReply",
                [](IpcFastpathTest& t, FastArgs&) {
                  ASSERT_EQ(t.reply(*t.server_), 0);
                  memset(user_bytes(*t.task_, kCallerBuffer), kGarbage, kPageSize);
                  world().readied.clear();
                }},
        Refusal{"TimedReceive",
                [](IpcFastpathTest&, FastArgs& args) { args.timeout_ns = ipc_test::kSomeTimeout; }},
        Refusal{"PollingReceive", [](IpcFastpathTest&, FastArgs& args) { args.timeout_ns = 0; }},
        Refusal{"SenderWaits",
                [](IpcFastpathTest& t, FastArgs&) {
                  Thread& s = t.thread();
                  ASSERT_EQ(t.send(s), kBlocked);
                }},
        Refusal{"CallerDied", [](IpcFastpathTest& t, FastArgs&) { ipc_abandon(*t.caller_); }},
        Refusal{"CallerSuspended",
                [](IpcFastpathTest& t, FastArgs&) { t.caller_->set_suspended(true); }},
        Refusal{"BetterThreadReady",
                [](IpcFastpathTest& t, FastArgs&) {
                  world().highest_ready = t.caller_->priority() + 1;
                }},
        Refusal{"FaultCaller",
                [](IpcFastpathTest& t, FastArgs&) { t.caller_->ipc.is_fault = true; }},
        Refusal{"ReplyWithHandles",
                [](IpcFastpathTest& t, FastArgs&) {
                  set_header_field(t.other_task(), kServerBuffer,
                                   [](MessageHeader& h) { h.handle_count = 1; });
                }},
        Refusal{"ReplyWithGrant",
                [](IpcFastpathTest& t, FastArgs&) {
                  set_header_field(t.other_task(), kServerBuffer, [](MessageHeader& h) {
                    h.flags = abi::kMessageGrant;
                    h.grant_address = 0;
                    h.grant_length = kPageSize;
                  });
                }},
        Refusal{"WindowMisaligned",
                [](IpcFastpathTest& t, FastArgs&) {
                  set_header_field(t.other_task(), kServerBuffer,
                                   [](MessageHeader& h) { h.grant_address = 0x4000'0800; });
                }},
        Refusal{"WindowLengthMisaligned",
                [](IpcFastpathTest& t, FastArgs&) {
                  set_header_field(t.other_task(), kServerBuffer,
                                   [](MessageHeader& h) { h.grant_length = 100; });
                }},
        Refusal{"ReplyBufferUnmapped",
                [](IpcFastpathTest&, FastArgs& args) { args.buffer = kServerBuffer + kPageSize; }},
        Refusal{"CallerBufferReadOnly",
                [](IpcFastpathTest& t, FastArgs&) {
                  *user_pte(*t.task_, kCallerBuffer) &= ~uint64_t(1u << 1);
                }},
        Refusal{"ReplyCrossesTheCallersPage",
                [](IpcFastpathTest& t, FastArgs&) {
                  t.caller_->ipc.buffer = kCallerBuffer + kPageSize - sizeof(MessageHeader) - 10;
                }}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return info.param.name; });

}  // namespace
}  // namespace atoll_os::kernel
