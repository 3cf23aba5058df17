// GuestProgram over a scripted ctl socket, and the key=value parser of netbench's lines.
#include "hostlib/guest_program.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kWait{2000};
constexpr milliseconds kShortWait{100};

// ctl's side of the socket, driven by the test: what it writes is what ctl would have sent.
// A Unix socket's connect completes into the backlog, so no thread is needed.
class ScriptedCtl {
 public:
  explicit ScriptedCtl(const TempDir& dir) : path_(dir.path() / "control.sock") {
    listener_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listener_, 1), 0);
  }
  ~ScriptedCtl() {
    if (peer_ >= 0) close(peer_);
    close(listener_);
  }

  ControlChannel connect() {
    auto channel = ControlChannel::connect(path_, kWait);
    EXPECT_TRUE(is_ok(channel));
    peer_ = accept(listener_, nullptr, nullptr);
    return channel.release_value();
  }
  void send(const std::string& line) {
    const std::string text = line + "\n";
    ASSERT_EQ(write(peer_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  // What the host has sent so far.
  std::string received() {
    char buf[4096];
    ssize_t n = recv(peer_, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  std::filesystem::path path_;
  int listener_ = -1;
  int peer_ = -1;
};

std::string output(uint64_t pid, const std::string& text) {
  return R"({"event":"output","pid":)" + std::to_string(pid) + R"(,"text":")" + text + "\"}";
}

std::string exit_event(uint64_t pid, const std::string& state, int code) {
  return R"({"event":"exit","pid":)" + std::to_string(pid) + R"(,"name":"netbench","state":")" +
         state + R"(","code":)" + std::to_string(code) + "}";
}

constexpr const char* kRunReply = R"({"ok":true,"cmd":"run","pid":7,"name":"netbench"})";

TEST(GuestProgramTest, CollectsItsOwnLinesInOrderAndLeavesOthersQueued) {
  TempDir dir;
  ScriptedCtl ctl(dir);
  ControlChannel channel = ctl.connect();
  ctl.send(kRunReply);
  auto program = GuestProgram::start(channel, "netbench info", kWait);
  ASSERT_TRUE(is_ok(program));
  EXPECT_EQ(ctl.received(), "run netbench info\n");
  EXPECT_EQ(program->pid(), 7u);
  ctl.send(output(7, "first"));
  ctl.send(output(9, "another program"));
  ctl.send(output(7, "second"));
  ctl.send(exit_event(7, "exited", 0));

  auto exit = program->wait_exit(kWait);
  ASSERT_TRUE(is_ok(exit));
  EXPECT_EQ(*exit, (ProgramExit{"exited", 0}));
  EXPECT_TRUE(exit->succeeded());
  EXPECT_EQ(program->lines(), (std::vector<std::string>{"first", "second"}));
  ASSERT_EQ(channel.events().size(), 1u);
  EXPECT_EQ(channel.events()[0].uint64_at("pid"), 9u);
}

TEST(GuestProgramTest, WaitForLineFindsEachMatchOnceAndFailsWhenTheProgramEnds) {
  TempDir dir;
  ScriptedCtl ctl(dir);
  ControlChannel channel = ctl.connect();
  ctl.send(kRunReply);
  auto program = GuestProgram::start(channel, "netbench tcp-sink 5001", kWait);
  ASSERT_TRUE(is_ok(program));
  ctl.send(output(7, "netbench: tcp listening port=5001"));
  ctl.send(output(7, "netbench: tcp listening port=5002"));

  const LogPattern listening = LogPattern::regex("listening port=([0-9]+)");
  auto first = program->wait_for_line(listening, kWait);
  ASSERT_TRUE(is_ok(first));
  EXPECT_EQ(*first, "netbench: tcp listening port=5001");
  auto second = program->wait_for_line(listening, kWait);
  ASSERT_TRUE(is_ok(second));
  EXPECT_EQ(*second, "netbench: tcp listening port=5002");

  auto none = program->wait_for_line(listening, kShortWait);
  EXPECT_EQ(none.error(), Error::kTimedOut);
  ctl.send(exit_event(7, "exited", 1));
  auto ended = program->wait_for_line(listening, kWait);
  ASSERT_EQ(ended.error(), Error::kNotFound);
  EXPECT_NE(ended.failure().message.find("exited with 1"), std::string::npos)
      << ended.failure().message;
}

TEST(GuestProgramTest, AWaitThatTimesOutLeavesTheProgramRunningAndSaysSo) {
  TempDir dir;
  ScriptedCtl ctl(dir);
  ControlChannel channel = ctl.connect();
  ctl.send(kRunReply);
  auto program = GuestProgram::start(channel, "netbench tcp-sink 5001", kWait);
  ASSERT_TRUE(is_ok(program));
  ctl.send(output(7, "netbench: tcp listening port=5001"));
  auto exit = program->wait_exit(kShortWait);
  ASSERT_EQ(exit.error(), Error::kTimedOut);
  EXPECT_NE(exit.failure().message.find("running"), std::string::npos);
  EXPECT_NE(exit.failure().message.find("| netbench: tcp listening port=5001"), std::string::npos)
      << exit.failure().message;
  EXPECT_FALSE(program->exit().has_value());
}

TEST(GuestProgramTest, KillSendsKillAndWaitsForTheExit) {
  TempDir dir;
  ScriptedCtl ctl(dir);
  ControlChannel channel = ctl.connect();
  ctl.send(kRunReply);
  auto program = GuestProgram::start(channel, "netbench udp-echo 7", kWait);
  ASSERT_TRUE(is_ok(program));
  (void)ctl.received();
  ctl.send(R"({"ok":true,"cmd":"kill","pid":7})");
  // ctl reports the end a little after it answered the kill.
  std::thread late_exit([&] {
    std::this_thread::sleep_for(milliseconds(200));
    ctl.send(exit_event(7, "killed", -1));
  });
  auto killed = program->kill(kWait);
  late_exit.join();
  ASSERT_TRUE(is_ok(killed));
  EXPECT_EQ(ctl.received(), "kill 7\n");
  EXPECT_EQ(killed->state, "killed");
  EXPECT_FALSE(killed->succeeded());
}

TEST(GuestProgramTest, KillOfAProgramThatAlreadyEndedSendsNothing) {
  TempDir dir;
  ScriptedCtl ctl(dir);
  ControlChannel channel = ctl.connect();
  ctl.send(kRunReply);
  auto program = GuestProgram::start(channel, "netbench info", kWait);
  ASSERT_TRUE(is_ok(program));
  (void)ctl.received();
  ctl.send(exit_event(7, "exited", 0));
  auto exit = program->kill(kWait);
  ASSERT_TRUE(is_ok(exit));
  EXPECT_TRUE(exit->succeeded());
  EXPECT_EQ(ctl.received(), "");
}

TEST(GuestProgramTest, StartFailsWithCtlsReasonWhenRefused) {
  TempDir dir;
  ScriptedCtl ctl(dir);
  ControlChannel channel = ctl.connect();
  ctl.send(R"({"ok":false,"cmd":"run","error":"not_found","reason":"no program nosuch"})");
  auto program = GuestProgram::start(channel, "nosuch", kWait);
  ASSERT_EQ(program.error(), Error::kInvalidArgument);
  EXPECT_NE(program.failure().message.find("no program nosuch"), std::string::npos);
}

TEST(GuestProgramTest, RunProgramReturnsLinesAndExit) {
  TempDir dir;
  ScriptedCtl ctl(dir);
  ControlChannel channel = ctl.connect();
  ctl.send(kRunReply);
  ctl.send(output(7, "netbench: info node=0 rx_dropped=3"));
  ctl.send(exit_event(7, "exited", 0));
  auto run = run_program(channel, "netbench info", kWait);
  ASSERT_TRUE(is_ok(run));
  EXPECT_EQ(run->pid, 7u);
  EXPECT_EQ(run->lines, (std::vector<std::string>{"netbench: info node=0 rx_dropped=3"}));
  EXPECT_TRUE(run->exit.succeeded());
}

TEST(GuestProgramTest, RunProgramKillsAProgramThatOverstays) {
  TempDir dir;
  ScriptedCtl ctl(dir);
  ControlChannel channel = ctl.connect();
  ctl.send(kRunReply);
  ctl.send(R"({"ok":true,"cmd":"kill","pid":7})");
  // The exit comes only after run_program's wait has given up and sent the kill.
  std::thread late_exit([&] {
    std::this_thread::sleep_for(milliseconds(500));
    ctl.send(exit_event(7, "killed", -1));
  });
  auto run = run_program(channel, "netbench udp-echo 7", kShortWait);
  late_exit.join();
  ASSERT_EQ(run.error(), Error::kTimedOut);
  EXPECT_EQ(ctl.received(), "run netbench udp-echo 7\nkill 7\n");
  EXPECT_EQ(channel.events().size(), 0u) << "the exit event should have been taken";
}

TEST(KeyValueLineTest, ParsesNetbenchResultLines) {
  const KeyValueLine sink = KeyValueLine::parse(
      "netbench: tcp-sink bytes=67108864 checksum=0x00ab12cd34ef5678 ns=123456789 "
      "mib_per_s=5.12");
  EXPECT_EQ(sink.size(), 4u);
  EXPECT_EQ(sink.unsigned_at("bytes").value(), 67108864u);
  EXPECT_EQ(sink.text("checksum").value(), "0x00ab12cd34ef5678");
  EXPECT_EQ(sink.unsigned_at("checksum").value(), 0x00ab12cd34ef5678u);
  EXPECT_DOUBLE_EQ(sink.decimal_at("mib_per_s").value(), 5.12);
  EXPECT_DOUBLE_EQ(sink.decimal_at("ns").value(), 123456789.0);
  EXPECT_TRUE(sink.has("ns"));
  EXPECT_FALSE(sink.has("tcp-sink"));
  EXPECT_EQ(sink.line().rfind("netbench: tcp-sink", 0), 0u);

  const KeyValueLine info = KeyValueLine::parse("netbench: info node=1 ip=10.77.0.2 rx_dropped=0");
  EXPECT_EQ(info.text("ip").value(), "10.77.0.2");
  EXPECT_EQ(info.unsigned_at("rx_dropped").value(), 0u);
}

TEST(KeyValueLineTest, SkipsWordsThatAreNotPairsAndKeepsTheLastOfARepeatedKey) {
  const KeyValueLine line = KeyValueLine::parse("  a=1 =2 b= word c=x=y a=3  ");
  EXPECT_EQ(line.size(), 3u);  // a, b, c
  EXPECT_EQ(line.unsigned_at("a").value(), 3u);
  EXPECT_EQ(line.text("b").value(), "");
  EXPECT_EQ(line.text("c").value(), "x=y");
  EXPECT_FALSE(line.has(""));
  EXPECT_EQ(KeyValueLine::parse("").size(), 0u);
  EXPECT_EQ(KeyValueLine::parse("netbench: error stream failed after 5 bytes: reset").size(), 0u);
}

TEST(KeyValueLineTest, RefusesValuesOfTheWrongShapeNamingKeyAndLine) {
  const KeyValueLine line = KeyValueLine::parse(
      "x bytes=12k neg=-1 big=18446744073709551616 max=18446744073709551615 hex=0x hexbad=0xzz "
      "rate=1.5.0 empty= plus=+1 frac=.5 inf=inf nan=nan exp=1e3");
  auto missing = line.unsigned_at("nosuch");
  ASSERT_EQ(missing.error(), Error::kNotFound);
  EXPECT_NE(missing.failure().message.find("nosuch="), std::string::npos);
  EXPECT_NE(missing.failure().message.find("bytes=12k"), std::string::npos);
  EXPECT_EQ(line.unsigned_at("bytes").error(), Error::kBadFormat);
  EXPECT_EQ(line.unsigned_at("neg").error(), Error::kBadFormat);
  EXPECT_EQ(line.unsigned_at("big").error(), Error::kBadFormat);
  EXPECT_EQ(line.unsigned_at("max").value(), UINT64_MAX);
  EXPECT_EQ(line.unsigned_at("hex").error(), Error::kBadFormat);
  EXPECT_EQ(line.unsigned_at("hexbad").error(), Error::kBadFormat);
  EXPECT_EQ(line.unsigned_at("empty").error(), Error::kBadFormat);
  EXPECT_EQ(line.unsigned_at("plus").error(), Error::kBadFormat);
  EXPECT_EQ(line.decimal_at("rate").error(), Error::kBadFormat);
  EXPECT_EQ(line.decimal_at("neg").error(), Error::kBadFormat);
  EXPECT_EQ(line.decimal_at("empty").error(), Error::kBadFormat);
  EXPECT_EQ(line.decimal_at("bytes").error(), Error::kBadFormat);
  EXPECT_EQ(line.decimal_at("plus").error(), Error::kBadFormat);
  EXPECT_EQ(line.decimal_at("inf").error(), Error::kBadFormat);
  EXPECT_EQ(line.decimal_at("nan").error(), Error::kBadFormat);
  EXPECT_EQ(line.decimal_at("exp").error(), Error::kBadFormat);
  EXPECT_DOUBLE_EQ(line.decimal_at("frac").value(), 0.5);
}

}  // namespace
}  // namespace atoll_os::host::testing
