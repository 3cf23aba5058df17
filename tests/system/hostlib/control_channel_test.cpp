// ControlChannel against a fake ctl on a Unix socket: replies, events, timeouts, garbage.
#include "hostlib/control_channel.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

using std::chrono::milliseconds;

// Plays ctl: listens where QEMU would, accepts one connection, and answers every line it
// receives with what `respond` returns (any number of lines, possibly none).
class FakeCtl {
 public:
  using Responder = std::function<std::vector<std::string>(const std::string& line)>;

  FakeCtl(std::filesystem::path path, Responder respond, milliseconds listen_after = {})
      : path_(std::move(path)), respond_(std::move(respond)) {
    thread_ = std::thread([this, listen_after] { serve(listen_after); });
  }
  ~FakeCtl() {
    stop_ = true;
    thread_.join();
    if (client_ >= 0) close(client_);
  }

  // Sends raw bytes to the host, as ctl's UART would.
  void emit(const std::string& bytes) {
    std::unique_lock<std::mutex> guard(lock_);
    while (client_ < 0 && !stop_) {
      guard.unlock();
      std::this_thread::sleep_for(milliseconds(1));
      guard.lock();
    }
    if (client_ >= 0) (void)!write(client_, bytes.data(), bytes.size());
  }
  // Closes the connection, as QEMU does when it exits.
  void hang_up() {
    std::lock_guard<std::mutex> guard(lock_);
    hang_up_ = true;
  }
  std::vector<std::string> received() {
    std::lock_guard<std::mutex> guard(lock_);
    return received_;
  }

 private:
  void serve(milliseconds listen_after) {
    std::this_thread::sleep_for(listen_after);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
    bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener, 1);
    int client = -1;
    while (!stop_ && (client = accept(listener, nullptr, nullptr)) < 0) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    close(listener);
    {
      std::lock_guard<std::mutex> guard(lock_);
      client_ = client;
    }
    std::string pending;
    char buf[4096];
    while (!stop_) {
      {
        std::lock_guard<std::mutex> guard(lock_);
        if (hang_up_ && client_ >= 0) {
          close(client_);
          client_ = -1;
          return;
        }
      }
      ssize_t n = recv(client, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) {
        std::this_thread::sleep_for(milliseconds(1));
        continue;
      }
      pending.append(buf, static_cast<size_t>(n));
      for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
        std::string line = pending.substr(0, end);
        pending.erase(0, end + 1);
        {
          std::lock_guard<std::mutex> guard(lock_);
          received_.push_back(line);
        }
        for (const std::string& reply : respond_(line)) emit(reply + "\n");
      }
    }
  }

  std::filesystem::path path_;
  Responder respond_;
  std::mutex lock_;
  int client_ = -1;
  bool hang_up_ = false;
  std::vector<std::string> received_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Answers like ctl: ps → ok; anything else → an error naming the command.
std::vector<std::string> ctl_like(const std::string& line) {
  if (line == "ps") return {R"({"ok":true,"cmd":"ps","processes":[]})"};
  if (line == "run hello") {
    return {R"({"event":"output","pid":5,"text":"before the reply"})",
            R"({"ok":true,"cmd":"run","pid":5,"name":"hello"})",
            R"({"event":"exit","pid":5,"name":"hello","state":"exited","code":0})"};
  }
  if (line == "silent") return {};
  if (line == "garbage") return {"this is not json"};
  if (line == "array") return {"[1,2]"};
  return {R"({"ok":false,"error":"bad_command","reason":"unknown command; try help"})"};
}

HostResult<ControlChannel> connect(const TempDir& dir) {
  return ControlChannel::connect(dir.path() / "control.sock", milliseconds(5000));
}

TEST(ControlChannelTest, ConnectWaitsForTheSocketToAppear) {
  TempDir dir;
  FakeCtl ctl(dir.path() / "control.sock", ctl_like, milliseconds(150));
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  auto reply = channel->command("ps", milliseconds(5000));
  ASSERT_TRUE(is_ok(reply));
  EXPECT_EQ(*reply->string_at("cmd"), "ps");
}

TEST(ControlChannelTest, ConnectGivesUpWhenThereIsNoSocketOrThePeerIsGone) {
  TempDir dir;
  auto timed_out = ControlChannel::connect(dir.path() / "none.sock", milliseconds(50));
  EXPECT_EQ(timed_out.error(), Error::kTimedOut);
  auto gone =
      ControlChannel::connect(dir.path() / "none.sock", milliseconds(5000), [] { return false; });
  EXPECT_EQ(gone.error(), Error::kNotFound);
  auto too_long = ControlChannel::connect(dir.path() / std::string(200, 'x'), milliseconds(50));
  EXPECT_EQ(too_long.error(), Error::kInvalidArgument);
}

TEST(ControlChannelTest, RepliesAndEventsAreSeparated) {
  TempDir dir;
  FakeCtl ctl(dir.path() / "control.sock", ctl_like);
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  auto reply = channel->command_ok("run hello", milliseconds(5000));
  ASSERT_TRUE(is_ok(reply));
  EXPECT_EQ(reply->uint64_at("pid"), 5u);
  auto exited = channel->take_event(exit_of(5), milliseconds(5000));
  ASSERT_TRUE(is_ok(exited));
  EXPECT_EQ(*exited->string_at("state"), "exited");
  // The output event came first and is still queued.
  auto output = channel->next_event(milliseconds(0));
  ASSERT_TRUE(is_ok(output));
  EXPECT_EQ(*output->string_at("text"), "before the reply");
  EXPECT_EQ(channel->next_event(milliseconds(20)).error(), Error::kTimedOut);
  EXPECT_EQ(ctl.received(), std::vector<std::string>{"run hello"});
}

TEST(ControlChannelTest, RefusalsAreRepliesAndCommandOkQuotesThem) {
  TempDir dir;
  FakeCtl ctl(dir.path() / "control.sock", ctl_like);
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  auto reply = channel->command("frobnicate", milliseconds(5000));
  ASSERT_TRUE(is_ok(reply));
  EXPECT_EQ(reply->bool_at("ok"), false);
  auto refused = channel->command_ok("frobnicate", milliseconds(5000));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.failure().message.find("unknown command"), std::string::npos)
      << refused.failure().message;
  EXPECT_EQ(channel->command("two\nlines", milliseconds(100)).error(), Error::kInvalidArgument);
}

TEST(ControlChannelTest, MalformedReplyLinesAreFailuresThatQuoteThem) {
  TempDir dir;
  FakeCtl ctl(dir.path() / "control.sock", ctl_like);
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  auto garbage = channel->command("garbage", milliseconds(5000));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error(), Error::kBadFormat);
  EXPECT_NE(garbage.failure().message.find("this is not json"), std::string::npos);
  EXPECT_EQ(channel->command("array", milliseconds(5000)).error(), Error::kBadFormat);
  // The channel still works afterwards.
  EXPECT_TRUE(is_ok(channel->command_ok("ps", milliseconds(5000))));
}

TEST(ControlChannelTest, ALateReplyIsNotTakenForTheNextCommandsReply) {
  TempDir dir;
  FakeCtl ctl(dir.path() / "control.sock", ctl_like);
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  EXPECT_EQ(channel->command("silent", milliseconds(50)).error(), Error::kTimedOut);
  // Now the answer to "silent" arrives, late, before the answer to ps.
  ctl.emit(R"({"ok":false,"error":"late"})"
           "\n");
  auto reply = channel->command_ok("ps", milliseconds(5000));
  ASSERT_TRUE(is_ok(reply));
  EXPECT_EQ(*reply->string_at("cmd"), "ps");
}

TEST(ControlChannelTest, ReadyEventGivesTheNode) {
  TempDir dir;
  FakeCtl ctl(dir.path() / "control.sock", ctl_like);
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  ctl.emit(R"({"event":"output","pid":1,"text":"x"})"
           "\n"
           R"({"event":"ready","node":3})"
           "\n");
  auto node = channel->wait_ready(milliseconds(5000));
  ASSERT_TRUE(is_ok(node));
  EXPECT_EQ(*node, 3u);
  EXPECT_EQ(channel->events().size(), 1u) << "other events stay queued";
}

TEST(ControlChannelTest, ProbingSkipsHalfProbesAndRepliesToEarlierProbes) {
  TempDir dir;
  std::atomic<int> probes = 0;
  // Not ready for the first two probes (no answer); then each probe gets a cut probe's
  // error and two answers, as if earlier whole probes had queued up.
  FakeCtl ctl(dir.path() / "control.sock", [&](const std::string& line) {
    if (line != "ps") return std::vector<std::string>{R"({"ok":true,"cmd":"other"})"};
    if (++probes < 3) return std::vector<std::string>{};
    return std::vector<std::string>{R"({"ok":false,"error":"bad_command"})",
                                    R"({"ok":true,"cmd":"ps","processes":[]})",
                                    R"({"ok":true,"cmd":"ps","processes":[]})"};
  });
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  ASSERT_TRUE(is_ok(channel->probe_ready(milliseconds(5000), milliseconds(30))));
  EXPECT_GE(probes.load(), 3);
  auto reply = channel->command_ok("mem", milliseconds(5000));
  ASSERT_TRUE(is_ok(reply));
  EXPECT_EQ(*reply->string_at("cmd"), "other") << "a probe's reply was taken for mem's";
}

TEST(ControlChannelTest, AClosedChannelFailsPromptly) {
  TempDir dir;
  FakeCtl ctl(dir.path() / "control.sock", ctl_like);
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  ASSERT_TRUE(is_ok(channel->command_ok("ps", milliseconds(5000))));
  ctl.hang_up();
  const auto start = std::chrono::steady_clock::now();
  auto event = channel->next_event(milliseconds(5000));
  EXPECT_EQ(event.error(), Error::kNotFound);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(channel->open());
  EXPECT_EQ(channel->command("ps", milliseconds(100)).error(), Error::kNotFound);
}

TEST(ControlChannelTest, TranscriptRecordsBothDirections) {
  TempDir dir;
  FakeCtl ctl(dir.path() / "control.sock", ctl_like);
  auto channel = connect(dir);
  ASSERT_TRUE(is_ok(channel));
  channel->set_transcript(dir.path() / "control.log");
  ASSERT_TRUE(is_ok(channel->command_ok("ps", milliseconds(5000))));
  const auto tail = channel->transcript_tail(10);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_NE(tail[0].find("> ps"), std::string::npos) << tail[0];
  EXPECT_NE(tail[1].find("< {\"ok\":true"), std::string::npos) << tail[1];
  EXPECT_GT(std::filesystem::file_size(dir.path() / "control.log"), 0u);
}

}  // namespace
}  // namespace atoll_os::host::testing
