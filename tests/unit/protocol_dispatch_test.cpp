// Tests of the generated protocol layer: client stubs, server dispatch, length and handle
// validation, error replies with reasons, one-way operations, handle ownership.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "atoll/protocols/console.h"
#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "protocol_loopback.h"

namespace atoll_os::protocols {
namespace {

using testing::loopback_server;

// A pm server that records what reaches it; its answers are fixed per test.
struct FakeProcessServer {
  int spawns = 0;
  int kills = 0;
  pm::SpawnRequest last_spawn{};
  uint32_t handles_seen = 0;
  Error kill_error = Error::kOk;
  Handle handle_to_return = kNoHandle;

  Result<pm::SpawnReply> spawn(const pm::SpawnRequest& request, Call& call) {
    ++spawns;
    last_spawn = request;
    handles_seen = call.received.count;
    return pm::SpawnReply{0x1234};
  }
  Result<pm::WaitReply> wait(const pm::PidRequest& request, Call& call) {
    if (handle_to_return != kNoHandle) call.reply.add(handle_to_return);
    if (request.pid == 0) return call.fail(Error::kNotFound, "no such process");
    return pm::WaitReply{request.pid, abi::TaskState::kExited, 0, 7, 0};
  }
  Result<Empty> kill(const pm::KillRequest&, Call& call) {
    ++kills;
    if (kill_error != Error::kOk) return call.fail(kill_error, "neither its parent nor privileged");
    return Empty{};
  }
  Result<pm::ListReply> list(const pm::ListRequest&, Call&) { return pm::ListReply{}; }
  Result<mm::Stats> memory(const Empty&, Call&) { return mm::Stats{}; }
  Result<pm::StatsReply> stats(const Empty&, Call&) { return pm::StatsReply{}; }
  Result<Empty> register_console(const Empty&, Call&) { return Empty{}; }
  Result<pm::EventReply> next_event(const Empty&, Call&) { return pm::EventReply{}; }
  Result<Empty> adopt(const pm::AdoptRequest&, Call&) { return Empty{}; }
  // Migration is not what these tests are about: refused.
  Result<pm::DescribeReply> migrate_describe(const pm::PidRequest&, Call& call) {
    return call.fail(Error::kNotSupported, "no migration here");
  }
  Result<pm::FreezeReply> migrate_freeze(const pm::PidRequest&, Call& call) {
    return call.fail(Error::kNotSupported, "no migration here");
  }
  Result<Empty> migrate_thaw(const pm::PidRequest&, Call& call) {
    return call.fail(Error::kNotSupported, "no migration here");
  }
  Result<pm::SliceReply> migrate_send(const pm::SliceRequest&, Call& call) {
    return call.fail(Error::kNotSupported, "no migration here");
  }
  Result<Empty> migrate_release(const pm::PidRequest&, Call& call) {
    return call.fail(Error::kNotSupported, "no migration here");
  }
  Result<Empty> migrate_prepare(const pm::PrepareRequest&, Call& call) {
    return call.fail(Error::kNotSupported, "no migration here");
  }
  Result<Empty> migrate_commit(const pm::PidRequest&, Call& call) {
    return call.fail(Error::kNotSupported, "no migration here");
  }
  Result<Empty> migrate_abort(const pm::PidRequest&, Call& call) {
    return call.fail(Error::kNotSupported, "no migration here");
  }
  // Fails without a reason: the error reply then carries the error's name.
  Result<Empty> reap(const pm::ReapRequest&, Call&) { return Err(Error::kAccessDenied); }
};

class ProtocolDispatch : public ::testing::Test {
 protected:
  void SetUp() override {
    loopback_server = [this](abi::Message& message) {
      answer = testing::serve_once(
          message, call, [this](abi::Message& m, Call& c) { return pm::dispatch(server, m, c); });
    };
  }
  void TearDown() override { loopback_server = nullptr; }

  // A raw request as a misbehaving client might send it.
  abi::Message raw(uint64_t label, uint32_t length, uint32_t handle_count = 0) {
    abi::Message message{};
    message.header.label = label;
    message.header.length = length;
    message.header.handle_count = handle_count;
    for (uint32_t i = 0; i < handle_count && i < abi::kMessageHandlesMax; ++i) {
      message.header.handles[i] = 100 + i;
    }
    return message;
  }

  // Dispatches `message` in place and returns the reply's reason (empty if ok).
  std::string dispatch_raw(abi::Message& message) {
    answer = testing::serve_once(
        message, call, [this](abi::Message& m, Call& c) { return pm::dispatch(server, m, c); });
    if (message.header.label == kReplyOk) return {};
    EXPECT_EQ(message.header.length, sizeof(ErrorReply));
    ErrorReply error{};
    std::memcpy(&error, message.payload, sizeof(error));
    EXPECT_EQ(static_cast<uint64_t>(error.error), message.header.label);
    return error.reason;
  }

  FakeProcessServer server;
  Call call;
  Answer answer = Answer::kNone;
};

TEST_F(ProtocolDispatch, ClientCallReachesHandlerAndDecodesReply) {
  pm::Client client(5);
  pm::SpawnRequest request{};
  set_text(request.module, "hello", 5);
  request.argument_count = 1;
  request.argument_bytes = 3;
  std::memcpy(request.arguments, "42", 3);
  Result<pm::SpawnReply> reply = client.spawn(request);
  ASSERT_TRUE(reply.ok()) << client.last_reason();
  EXPECT_EQ(reply->pid, 0x1234u);
  EXPECT_EQ(server.spawns, 1);
  EXPECT_STREQ(server.last_spawn.module, "hello");
  EXPECT_STREQ(server.last_spawn.arguments, "42");
  EXPECT_EQ(testing::last_sent.header.label, pm::Operation<pm::Op::spawn>::kLabel);
  EXPECT_EQ(testing::last_sent.header.length, sizeof(pm::SpawnRequest));
  EXPECT_EQ(answer, Answer::kReply);
}

TEST_F(ProtocolDispatch, HandlerErrorArrivesWithItsReason) {
  pm::Client client(5);
  server.kill_error = Error::kAccessDenied;
  Result<Empty> killed = client.kill({42, -1});
  ASSERT_FALSE(killed.ok());
  EXPECT_EQ(killed.error(), Error::kAccessDenied);
  EXPECT_STREQ(client.last_reason(), "neither its parent nor privileged");
}

TEST_F(ProtocolDispatch, ErrorWithoutReasonIsNamed) {
  pm::Client client(5);
  Result<Empty> reaped = client.reap({1});
  EXPECT_EQ(reaped.error(), Error::kAccessDenied);
  EXPECT_STREQ(client.last_reason(), "access_denied");
}

TEST_F(ProtocolDispatch, ShortOrLongRequestIsRefusedBeforeTheHandler) {
  for (uint32_t length : {0u, 15u, 17u, 448u}) {
    abi::Message message = raw(pm::Operation<pm::Op::kill>::kLabel, length);
    std::string reason = dispatch_raw(message);
    EXPECT_EQ(message.header.label, static_cast<uint64_t>(Error::kInvalidArgument)) << length;
    EXPECT_NE(reason.find("length"), std::string::npos) << reason;
  }
  EXPECT_EQ(server.kills, 0);
  abi::Message exact = raw(pm::Operation<pm::Op::kill>::kLabel, sizeof(pm::KillRequest));
  EXPECT_EQ(dispatch_raw(exact), "");
  EXPECT_EQ(server.kills, 1);
}

TEST_F(ProtocolDispatch, LengthBeyondThePayloadIsRefused) {
  abi::Message message = raw(pm::Operation<pm::Op::spawn>::kLabel, 0xffffffffu);
  std::string reason = dispatch_raw(message);
  EXPECT_EQ(message.header.label, static_cast<uint64_t>(Error::kInvalidArgument));
  EXPECT_EQ(server.spawns, 0);
}

TEST_F(ProtocolDispatch, TooManyHandlesAreRefusedAndLeftForTheLoopToClose) {
  // kill takes no handle; the two that came must not vanish (the loop closes them).
  abi::Message message = raw(pm::Operation<pm::Op::kill>::kLabel, sizeof(pm::KillRequest), 2);
  std::string reason = dispatch_raw(message);
  EXPECT_EQ(message.header.label, static_cast<uint64_t>(Error::kInvalidArgument));
  EXPECT_NE(reason.find("handles"), std::string::npos) << reason;
  EXPECT_EQ(server.kills, 0);
  EXPECT_EQ(call.received.count, 2u);
  EXPECT_EQ(call.received.values[0], 100u);
  EXPECT_EQ(call.received.values[1], 101u);
  EXPECT_EQ(message.header.handle_count, 0u);  // nothing goes back by accident
}

TEST_F(ProtocolDispatch, HandleCountAboveTheMessageLimitIsClamped) {
  abi::Message message = raw(pm::Operation<pm::Op::spawn>::kLabel, sizeof(pm::SpawnRequest));
  message.header.handle_count = 1000;  // a lying kernel or corrupted message
  dispatch_raw(message);
  EXPECT_EQ(message.header.label, static_cast<uint64_t>(Error::kInvalidArgument));
  EXPECT_EQ(call.received.count, abi::kMessageHandlesMax);
}

TEST_F(ProtocolDispatch, GrantIsRefused) {
  abi::Message message = raw(pm::Operation<pm::Op::kill>::kLabel, sizeof(pm::KillRequest));
  message.header.flags = abi::kMessageGrant;
  std::string reason = dispatch_raw(message);
  EXPECT_EQ(message.header.label, static_cast<uint64_t>(Error::kInvalidArgument));
  EXPECT_NE(reason.find("grant"), std::string::npos);
}

TEST_F(ProtocolDispatch, UnknownLabelsGetNotSupported) {
  for (uint64_t label : {uint64_t{0}, make_label(kProcessProtocol, 999),
                         make_label(kNamesProtocol, 1), abi::kLabelPageFault, ~uint64_t{0}}) {
    abi::Message message = raw(label, 8);
    std::string reason = dispatch_raw(message);
    EXPECT_EQ(message.header.label, static_cast<uint64_t>(Error::kNotSupported)) << label;
    EXPECT_EQ(reason, "unknown operation");
    EXPECT_EQ(answer, Answer::kReply);
  }
}

TEST_F(ProtocolDispatch, HandlesMovedInAreVisibleAndTakenOnes) {
  pm::Client client(5);
  HandleSet handles;
  handles.add(7);
  handles.add(8);
  pm::SpawnRequest request{};
  set_text(request.module, "ctl", 3);
  ASSERT_TRUE(client.spawn(request, &handles).ok());
  EXPECT_EQ(server.handles_seen, 2u);
  EXPECT_EQ(handles.count, 0u);  // the reply carried none
  EXPECT_EQ(testing::last_sent.header.handle_count, 2u);
  EXPECT_EQ(testing::last_sent.header.handles[0], 7u);
}

TEST_F(ProtocolDispatch, ReplyHandlesGoOutOnlyWithSuccess) {
  pm::Client client(5);
  server.handle_to_return = 33;
  HandleSet handles;
  ASSERT_TRUE(client.wait({9}, &handles).ok());
  ASSERT_EQ(handles.count, 1u);
  EXPECT_EQ(handles.values[0], 33u);
  EXPECT_EQ(call.reply.count, 0u);

  // The handler added a reply handle and then failed: it stays for the loop to close.
  EXPECT_FALSE(client.wait({0}, &handles).ok());
  EXPECT_EQ(handles.count, 0u);
  ASSERT_EQ(call.reply.count, 1u);
  EXPECT_EQ(call.reply.values[0], 33u);
}

TEST_F(ProtocolDispatch, MalformedReplyIsBadFormat) {
  loopback_server = [](abi::Message& message) {
    message.header.label = kReplyOk;
    message.header.length = 3;  // a spawn reply is 8 bytes
  };
  pm::Client client(5);
  Result<pm::SpawnReply> reply = client.spawn({});
  EXPECT_EQ(reply.error(), Error::kBadFormat);
  EXPECT_NE(std::string(client.last_reason()).find("length"), std::string::npos);

  loopback_server = [](abi::Message& message) {
    message.header.label = 0xdead'beef'0000;  // not an Error value
    message.header.length = 0;
  };
  EXPECT_EQ(client.spawn({}).error(), Error::kBadFormat);
}

TEST_F(ProtocolDispatch, TransportFailureIsReturned) {
  loopback_server = nullptr;
  pm::Client client(5);
  EXPECT_EQ(client.stats({}).error(), Error::kBadHandle);
}

// The console protocol: one-way, variable length.
struct FakeConsole {
  std::string text;
  uint64_t badge = 0;
  Result<OneWay> write(const console::WriteRequest& request, Call& call) {
    text.assign(request.text, call.length);
    badge = call.badge;
    return OneWay{};
  }
};

TEST(ConsoleProtocol, OneWayWriteOfAnyLengthIsNotAnswered) {
  FakeConsole server;
  for (uint32_t length : {0u, 1u, 100u, 448u}) {
    abi::Message message{};
    message.header.label = console::Operation<console::Op::write>::kLabel;
    message.header.length = length;
    message.header.badge = 77;
    std::memset(message.payload, 'x', length);
    Call call;
    Answer answer = testing::serve_once(
        message, call, [&](abi::Message& m, Call& c) { return console::dispatch(server, m, c); });
    EXPECT_EQ(answer, Answer::kNone);
    EXPECT_EQ(server.text, std::string(length, 'x'));
    EXPECT_EQ(server.badge, 77u);
  }
}

TEST(ConsoleProtocol, ClientSendsOnlyTheTextAndWaitsForNothing) {
  FakeConsole server;
  int calls = 0;
  loopback_server = [&](abi::Message& message) {
    ++calls;
    Call call;
    testing::serve_once(message, call,
                        [&](abi::Message& m, Call& c) { return console::dispatch(server, m, c); });
  };
  console::Client client(3);
  console::WriteRequest request{};
  std::memcpy(request.text, "hi\n", 3);
  request.length = 3;
  EXPECT_TRUE(client.write(request).ok());
  EXPECT_EQ(testing::last_sent.header.length, 3u);
  EXPECT_EQ(server.text, "hi\n");
  EXPECT_EQ(calls, 1);
  loopback_server = nullptr;
}

TEST(ConsoleProtocol, HandlesOnAOneWayWriteAreLeftForClosing) {
  FakeConsole server;
  abi::Message message{};
  message.header.label = console::Operation<console::Op::write>::kLabel;
  message.header.length = 2;
  message.header.handle_count = 1;
  message.header.handles[0] = 9;
  Call call;
  Answer answer = testing::serve_once(
      message, call, [&](abi::Message& m, Call& c) { return console::dispatch(server, m, c); });
  EXPECT_EQ(answer, Answer::kNone);
  EXPECT_EQ(server.text, "");  // refused: write takes no handles
  EXPECT_EQ(call.received.count, 1u);
}

}  // namespace
}  // namespace atoll_os::protocols
