// ipcm across a cluster, end to end through rpcbench: calls by name to another node, a
// stream from two senders arriving exactly once and in order, and a call to a port whose
// node was killed failing with a reason in bounded time.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>

#include "hostlib/net_bench.h"
#include "hostlib/rpc_bench.h"
#include "support/cluster_fixture.h"

namespace atoll_os::host::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A few calls, including the first connection between two nodes' ipcm.
constexpr std::chrono::milliseconds kProgramWait = 60s;
// 10,000 messages through one link's window, three TCG nodes on two cores.
constexpr std::chrono::milliseconds kStreamWait = 120s;
// The promise under test: a call to a dead node ends within this, with a reason.
constexpr std::chrono::milliseconds kDeadCallBound = 30s;

/// rpcbench calls between the nodes of a cluster.
class IpcmClusterTest : public ClusterFixture {
 protected:
  /// Asserts that `count` calls from `client` to a server on `server` are all answered.
  void expect_calls(unsigned client, unsigned server, const std::string& name, unsigned count) {
    auto calls = rpc_round_trips(*cluster(), client, server, name, count, 0, kProgramWait);
    ASSERT_TRUE(is_ok(calls)) << "node " << client << " -> node " << server;
    EXPECT_EQ(calls->unsigned_at("samples").value(), count) << calls->line();
    EXPECT_GT(calls->decimal_at("median_us").value(), 0.0) << calls->line();
    std::cerr << "node " << client << " -> node " << server << ": " << calls->line() << std::endl;
  }
};

/// One cluster for the tests that leave every node running.
class IpcmTest : public SharedCluster<IpcmClusterTest> {};

TEST_F(IpcmTest, ClientOnNodeZeroCallsAServerOnNodeTwoByName) {
  ASSERT_NO_FATAL_FAILURE(expect_calls(0, 2, "echo-2", 20));
}

TEST_F(IpcmTest, TenThousandMessagesFromTwoSendersArriveOnceAndInOrder) {
  constexpr unsigned kPerSender = 5000;
  auto stream = rpc_stream(*cluster(), {0, 1}, 2, "sink-2", kPerSender, kStreamWait);
  ASSERT_TRUE(is_ok(stream));
  std::cerr << stream->sink.line() << std::endl;
  for (const KeyValueLine& blast : stream->blasts) {
    EXPECT_EQ(blast.unsigned_at("sent").value(), kPerSender) << blast.line();
  }
  EXPECT_TRUE(is_ok(check_sink(stream->sink, 2 * kPerSender)));
}

// A sink on node 1 takes the first 1,500 of 6,000 messages from two senders on node 0, then
// moves its port to node 2, where `adopt` takes the rest: each sender must continue at
// exactly the next number there, nothing duplicated, nothing out of order, nothing lost.
TEST_F(IpcmTest, APortMovedWhileTwoSendersSendLosesAndDuplicatesNothing) {
  constexpr uint64_t kPerSender = 3000;
  constexpr uint64_t kBeforeMove = 1500;
  auto sink = GuestProgram::start(ctl(1), "rpcbench movesink moving 2 3000 1500 2", kProgramWait);
  ASSERT_TRUE(is_ok(sink));
  auto serving = sink->wait_for_line(LogPattern::regex("port=([0-9]+:[0-9]+)"), kProgramWait);
  ASSERT_TRUE(is_ok(serving)) << sink->describe();
  const std::string port = KeyValueLine::parse(*serving).text("port").value();
  auto adopt = GuestProgram::start(ctl(2), "rpcbench adopt " + port + " 2 3000", kProgramWait);
  ASSERT_TRUE(is_ok(adopt));
  ASSERT_TRUE(is_ok(adopt->wait_for_line(LogPattern::regex("expecting"), kProgramWait)))
      << adopt->describe();
  auto blast0 = GuestProgram::start(ctl(0), "rpcbench blast moving 0 3000", kProgramWait);
  ASSERT_TRUE(is_ok(blast0));
  auto blast1 = GuestProgram::start(ctl(0), "rpcbench blast moving 1 3000", kProgramWait);
  ASSERT_TRUE(is_ok(blast1));

  auto moved = result_line_at_exit(*sink, "rpcbench: moved ", kStreamWait);
  ASSERT_TRUE(is_ok(moved)) << sink->describe();
  auto adopted = result_line_at_exit(*adopt, "rpcbench: adopted ", kStreamWait);
  ASSERT_TRUE(is_ok(adopted)) << adopt->describe();
  for (GuestProgram* blast : {&*blast0, &*blast1}) {
    EXPECT_TRUE(is_ok(blast->wait_exit(kStreamWait))) << blast->describe();
  }
  std::cerr << moved->line() << "\n" << adopted->line() << std::endl;
  EXPECT_EQ(moved->unsigned_at("received").value(), kBeforeMove) << moved->line();
  EXPECT_EQ(moved->unsigned_at("duplicates").value(), 0u) << moved->line();
  EXPECT_EQ(moved->unsigned_at("out_of_order").value(), 0u) << moved->line();
  EXPECT_EQ(adopted->unsigned_at("complete").value(), 1u) << adopted->line();
  EXPECT_EQ(adopted->unsigned_at("duplicates").value(), 0u) << adopted->line();
  EXPECT_EQ(adopted->unsigned_at("out_of_order").value(), 0u) << adopted->line();
  EXPECT_EQ(moved->unsigned_at("received").value() + adopted->unsigned_at("received").value(),
            2 * kPerSender);
  for (const char* sender : {"0", "1"}) {
    EXPECT_EQ(adopted->unsigned_at(std::string("first") + sender).value(),
              moved->unsigned_at(std::string("high") + sender).value() + 1)
        << "sender " << sender << " did not continue at the next number after the move";
  }
}

// Calls from node 0 to a server on node 0 take the direct path; after 200 the server moves
// its port to node 1, which revokes the path, and the caller goes on through ipcm without
// noticing: every call answered with its own echo, none lost, none answered twice.
TEST_F(IpcmTest, ALocalCallTakesTheDirectPathAndFallsBackWhenThePortMoves) {
  constexpr uint64_t kBeforeMove = 200;
  auto server = GuestProgram::start(ctl(0), "rpcbench moveserve direct-moving 200 1", kProgramWait);
  ASSERT_TRUE(is_ok(server));
  auto serving = server->wait_for_line(LogPattern::regex("port=([0-9]+:[0-9]+)"), kProgramWait);
  ASSERT_TRUE(is_ok(serving)) << server->describe();
  const std::string port = KeyValueLine::parse(*serving).text("port").value();
  auto adopt = GuestProgram::start(ctl(1), "rpcbench adoptserve " + port + " 200", kProgramWait);
  ASSERT_TRUE(is_ok(adopt));
  ASSERT_TRUE(is_ok(adopt->wait_for_line(LogPattern::regex("expecting"), kProgramWait)))
      << adopt->describe();
  auto caller = GuestProgram::start(ctl(0), "rpcbench call direct-moving 400", kProgramWait);
  ASSERT_TRUE(is_ok(caller));

  auto calls = result_line_at_exit(*caller, "rpcbench: call ", kStreamWait);
  ASSERT_TRUE(is_ok(calls)) << caller->describe();
  auto moved = result_line_at_exit(*server, "rpcbench: moved ", kProgramWait);
  ASSERT_TRUE(is_ok(moved)) << server->describe();
  auto adopted = result_line_at_exit(*adopt, "rpcbench: adopted ", kProgramWait);
  ASSERT_TRUE(is_ok(adopted)) << adopt->describe();
  std::cerr << calls->line() << "\n" << moved->line() << "\n" << adopted->line() << std::endl;
  EXPECT_EQ(calls->unsigned_at("samples").value(), 2 * kBeforeMove) << calls->line();
  EXPECT_EQ(calls->unsigned_at("direct_calls").value(), kBeforeMove) << calls->line();
  EXPECT_EQ(calls->text("path").value(), "ipcm") << calls->line();
  EXPECT_EQ(moved->unsigned_at("answered").value(), kBeforeMove) << moved->line();
  EXPECT_EQ(adopted->unsigned_at("answered").value(), kBeforeMove) << adopted->line();
}

/// Its own cluster: the test kills a node.
class IpcmFailureTest : public PerTestCluster<IpcmClusterTest> {};

TEST_F(IpcmFailureTest, ACallToAPortOnAKilledNodeFailsWithAReasonInBoundedTime) {
  // The server dies with node 2; nothing waits for its end.
  auto server = start_rpc_server(ctl(2), "serve doomed 0", kProgramWait);
  ASSERT_TRUE(is_ok(server));
  auto before = run_program(ctl(0), "rpcbench call doomed 3", kProgramWait);
  ASSERT_TRUE(is_ok(before));
  ASSERT_TRUE(is_ok(result_line(*before, "rpcbench: call "))) << "node 2 was never reachable";

  EXPECT_EQ(cluster()->kill_node(2), (ExitStatus{.signal = SIGKILL}));
  const auto killed_at = Clock::now();
  auto caller = GuestProgram::start(ctl(0), "rpcbench call doomed 1", kProgramWait);
  ASSERT_TRUE(is_ok(caller));
  auto ended = caller->wait_exit(kDeadCallBound);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed_at);
  if (!ended) (void)caller->kill(20s);
  ASSERT_TRUE(is_ok(ended)) << "the call did not end within " << kDeadCallBound.count()
                            << " ms of the kill; " << caller->describe();
  const std::string error = caller->last_line_with("rpcbench: error").value_or("");
  std::cerr << "the call ended " << took.count() << " ms after the kill: " << error << std::endl;
  EXPECT_EQ(*ended, (ProgramExit{"exited", 1})) << caller->describe();
  // "rpcbench: error lookup: not_found no port has that name (yet)",
  // "rpcbench: error call 1 of 1: not_found the port's node is unreachable", ...
  std::vector<std::string> groups;
  ASSERT_TRUE(LogPattern::regex("^rpcbench: error (lookup|call 1 of 1): ([a-z_]+) +(.+)$")
                  .matches(error, &groups))
      << caller->describe();
  EXPECT_FALSE(groups[3].empty()) << "no reason given: " << error;

  // The survivors still call each other.
  ASSERT_NO_FATAL_FAILURE(expect_calls(1, 0, "echo-0", 3));
}

}  // namespace
}  // namespace atoll_os::host::testing
