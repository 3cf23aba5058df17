// System test: a thousand processes created and reaped through ctl leave the node's memory
// (free frames, user frames, kernel objects, address spaces) exactly where it was.
#include <algorithm>
#include <deque>

#include "support/servers_fixture.h"

namespace atoll_os::host::testing {
namespace {

using ProcessChurnTest = ServersTest;

constexpr int kProcesses = 1000;
// Processes alive at once: pm lets one parent (ctl) have 32 children alive; a few at once
// keeps pm, mm and the kernel busy with creation and reaping interleaved.
constexpr size_t kInFlight = 8;
// Runs before the first measurement. pm keeps the records of ended processes that no one
// waited for (up to its table's 128 slots, oldest forgotten first), and servers grow tables
// on first use; after this many the node is in its steady state.
constexpr int kWarmUp = 150;

// The `mem` figures that must come back: everything a process holds is returned.
struct MemorySnapshot {
  uint64_t free_frames = 0;
  uint64_t user_frames = 0;
  uint64_t kernel_objects = 0;
  uint64_t spaces = 0;
  uint64_t resident_pages = 0;
  std::string json;
};

// Runs `count` hellos, at most kInFlight alive at once, and waits for every end. Each must
// exit with code 0. Returns false (after recording a test failure) on trouble.
bool run_hellos(ControlChannel& ctl, int count) {
  std::deque<uint64_t> alive;
  for (int started = 0; started < count || !alive.empty();) {
    if (started < count && alive.size() < kInFlight) {
      auto reply = ctl.command_ok("run hello", kReplyWait);
      if (!reply.ok()) {
        ADD_FAILURE() << "run " << started << ": " << reply.failure().describe();
        return false;
      }
      alive.push_back(reply->uint64_at("pid").value_or(0));
      ++started;
      continue;
    }
    // Everything on the channel now is the hellos' output and ends.
    auto event = ctl.next_event(kEventWait);
    if (!event.ok()) {
      ADD_FAILURE() << "after " << started << " runs, " << alive.size()
                    << " alive: " << event.failure().describe();
      return false;
    }
    if (!is_event(*event, "exit")) continue;
    const uint64_t pid = event->uint64_at("pid").value_or(0);
    auto it = std::find(alive.begin(), alive.end(), pid);
    if (it == alive.end()) continue;
    alive.erase(it);
    const std::string* state = event->string_at("state");
    if (state == nullptr || *state != "exited" || event->int64_at("code") != 0) {
      ADD_FAILURE() << "a hello ended badly: " << event->to_json();
      return false;
    }
  }
  return true;
}

std::optional<MemorySnapshot> snapshot(ControlChannel& ctl) {
  auto mem = ctl.command_ok("mem", kReplyWait);
  EXPECT_TRUE(is_ok(mem));
  if (!mem) return std::nullopt;
  MemorySnapshot s;
  s.free_frames = mem->uint64_at("free_frames").value_or(0);
  s.user_frames = mem->uint64_at("user_frames").value_or(0);
  s.kernel_objects = mem->uint64_at("kernel_objects").value_or(0);
  s.spaces = mem->uint64_at("spaces").value_or(0);
  s.resident_pages = mem->uint64_at("resident_pages").value_or(0);
  s.json = mem->to_json();
  return s;
}

TEST_F(ProcessChurnTest, ThousandProcessesLeaveFramesAndKernelObjectsAsTheyWere) {
  ASSERT_NO_FATAL_FAILURE(start_servers());
  ASSERT_TRUE(run_hellos(ctl(), kWarmUp));
  auto stats_before = ctl().command_ok("stats", kReplyWait);
  ASSERT_TRUE(is_ok(stats_before));
  auto before = snapshot(ctl());
  ASSERT_TRUE(before.has_value());

  ASSERT_TRUE(run_hellos(ctl(), kProcesses));

  auto after = snapshot(ctl());
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->free_frames, before->free_frames) << before->json << "\n" << after->json;
  EXPECT_EQ(after->user_frames, before->user_frames) << before->json << "\n" << after->json;
  EXPECT_EQ(after->kernel_objects, before->kernel_objects) << before->json << "\n" << after->json;
  EXPECT_EQ(after->spaces, before->spaces) << before->json << "\n" << after->json;
  EXPECT_EQ(after->resident_pages, before->resident_pages) << before->json << "\n" << after->json;

  auto stats_after = ctl().command_ok("stats", kReplyWait);
  ASSERT_TRUE(is_ok(stats_after));
  EXPECT_EQ(stats_after->uint64_at("processes_started").value_or(0),
            stats_before->uint64_at("processes_started").value_or(0) + kProcesses)
      << stats_after->to_json();
  EXPECT_EQ(stats_after->uint64_at("processes_live"), stats_before->uint64_at("processes_live"))
      << stats_after->to_json();
}

}  // namespace
}  // namespace atoll_os::host::testing
