// Tests of pm: PIDs, the process table's limits, events, and the handlers' rules for
// spawn, wait, kill and reaping, over a fake kernel.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pm/process_service.h"
#include "pm/process_table.h"

namespace atoll_os::servers::pm {
namespace {

using protocols::Call;
using protocols::kSystemBadge;
namespace pm_protocol = protocols::pm;

TEST(ProcessTable, PidsCarryTheNodeAndAreNeverReused) {
  ProcessTable table(3);
  Process* a = *table.create(0, "a", false);
  Process* b = *table.create(0, "b", false);
  EXPECT_EQ(pm_protocol::pid_node(a->pid), 3u);
  EXPECT_EQ(pm_protocol::pid_serial(a->pid), pm_protocol::kFirstSpawnSerial);
  EXPECT_EQ(b->pid, a->pid + 1);
  uint64_t old = a->pid;
  table.release(*a);
  Process* c = *table.create(0, "c", false);
  EXPECT_GT(c->pid, b->pid);
  EXPECT_EQ(table.find(old), nullptr);
}

TEST(ProcessTable, LongNamesAreCut) {
  ProcessTable table(0);
  Process* p = *table.create(0, "a-module-with-a-long-name", false);
  EXPECT_STREQ(p->name, "a-module-with-a");
}

TEST(ProcessTable, ChildrenPerParentAreLimited) {
  ProcessTable table(0);
  Process* parent = *table.create(0, "parent", false);
  for (size_t i = 0; i < kMaxChildrenPerParent; ++i) {
    ASSERT_TRUE(table.create(parent->pid, "child", false).ok());
  }
  EXPECT_EQ(table.create(parent->pid, "child", false).error(), Error::kOutOfMemory);
  EXPECT_TRUE(table.create(0, "other", false).ok());  // init's are limited by the table only
}

TEST(ProcessTable, EndedRecordsMakeRoomOldestFirst) {
  ProcessTable table(0);
  std::vector<uint64_t> pids;
  for (size_t i = 0; i < kMaxProcesses; ++i) pids.push_back((*table.create(0, "p", false))->pid);
  EXPECT_EQ(table.create(0, "p", false).error(), Error::kOutOfMemory);  // all live
  table.end(*table.find(pids[5]), abi::TaskState::kExited, 0, 0);
  table.end(*table.find(pids[2]), abi::TaskState::kExited, 0, 0);
  ASSERT_TRUE(table.create(0, "p", false).ok());
  EXPECT_EQ(table.find(pids[5]), nullptr);  // ended first, forgotten first
  EXPECT_NE(table.find(pids[2]), nullptr);
  EXPECT_EQ(table.live(), kMaxProcesses - 1);
}

TEST(ProcessTable, ListIsInPidOrderAfterACursor) {
  ProcessTable table(0);
  ASSERT_TRUE(table.adopt(pm_protocol::make_pid(0, 2), "mm").ok());
  std::vector<uint64_t> pids;
  for (int i = 0; i < 5; ++i) pids.push_back((*table.create(0, "p", false))->pid);
  table.release(*table.find(pids[1]));
  ASSERT_TRUE(table.adopt(pm_protocol::make_pid(0, 1), "init").ok());
  EXPECT_EQ(table.adopt(pm_protocol::make_pid(0, 1), "init").error(), Error::kAlreadyExists);
  Process* found[10];
  size_t n = table.list(0, found, 3);
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(found[0]->pid, 1u);
  EXPECT_EQ(found[1]->pid, 2u);
  EXPECT_EQ(found[2]->pid, pids[0]);
  n = table.list(found[2]->pid, found, 10);
  ASSERT_EQ(n, 3u);
  EXPECT_EQ(found[0]->pid, pids[2]);
  EXPECT_EQ(found[2]->pid, pids[4]);
}

TEST(ProcessTable, DeathBitsCoverEverySlot) {
  ProcessTable table(0);
  std::set<uint64_t> bits;
  std::vector<Process*> processes;
  for (size_t i = 0; i < kMaxProcesses; ++i) {
    processes.push_back(*table.create(0, "p", false));
    uint64_t bit = table.death_bit(*processes.back());
    EXPECT_EQ(bit & (bit - 1), 0u);  // one bit
    bits.insert(bit);
  }
  EXPECT_EQ(bits.size(), kDeathBits);
  int visited = 0;
  table.for_each_signalled(table.death_bit(*processes[70]), [&](Process& p) {
    ++visited;
    EXPECT_EQ(table.death_bit(p), table.death_bit(*processes[70]));
  });
  EXPECT_EQ(visited, 2);                  // 128 slots share 63 bits: slots 7 and 70
  EXPECT_EQ(bits.count(1ull << 63), 0u);  // the kernel refuses bit 63
}

TEST(EventQueue, DropsTheOldestAndSaysSo) {
  EventQueue queue;
  EXPECT_EQ(queue.pop().kind, pm_protocol::EventKind::kNone);
  for (uint64_t i = 0; i < EventQueue::kCapacity + 3; ++i) {
    pm_protocol::EventReply event{};
    event.kind = pm_protocol::EventKind::kEnded;
    event.pid = i;
    queue.push(event);
  }
  pm_protocol::EventReply first = queue.pop();
  EXPECT_EQ(first.pid, 3u);
  EXPECT_EQ(first.dropped, 3u);
  EXPECT_EQ(queue.pop().dropped, 0u);
  EXPECT_EQ(queue.dropped_total(), 3u);
  EXPECT_EQ(queue.size(), EventQueue::kCapacity - 2);
}

// The kernel, mm and names as pm sees them.
class FakeProcessKernel final : public ProcessKernel {
 public:
  Result<Launched> launch(const Launch& launch, const char** reason) override {
    launches.push_back({launch.process.pid, launch.death_bit, launch.console, launch.priority,
                        launch.capabilities.count});
    if (fail_launch) {
      *reason = "not an executable this system runs";
      return Err(Error::kBadFormat);
    }
    abi::Handle task = next++;
    tasks[task] = abi::TaskStatus{abi::TaskState::kRunning, 1, 0, 0, 0, 0};
    return Launched{task, next++};
  }
  Result<abi::TaskStatus> task_status(abi::Handle task) override {
    auto it = tasks.find(task);
    if (it == tasks.end()) return Err(Error::kBadHandle);
    return it->second;
  }
  Result<void> task_kill(abi::Handle task, int64_t code) override {
    tasks[task] = abi::TaskStatus{abi::TaskState::kKilled, 0, code, 0, 0, 0};
    return success();
  }
  Result<abi::ThreadStats> thread_stats(abi::Handle) override {
    return abi::ThreadStats{1000, 3, 10, 0};
  }
  void close(abi::Handle handle) override { closed.insert(handle); }
  void signal(abi::Handle notification, uint64_t bits) override {
    signals.push_back({notification, bits});
  }
  Result<protocols::mm::SpaceInfo> space_info(uint64_t) override {
    protocols::mm::SpaceInfo info{};
    info.resident_pages = 12;
    return info;
  }
  Result<protocols::mm::Stats> memory_stats() override { return protocols::mm::Stats{}; }
  void forget(uint64_t pid) override { forgotten.push_back(pid); }
  uint64_t clock_ns() override { return 5; }

  struct LaunchRecord {
    uint64_t pid, death_bit;
    abi::Handle console;
    uint32_t priority, capabilities;
  };
  std::vector<LaunchRecord> launches;
  std::map<abi::Handle, abi::TaskStatus> tasks;
  std::set<abi::Handle> closed;
  std::vector<std::pair<abi::Handle, uint64_t>> signals;
  std::vector<uint64_t> forgotten;
  abi::Handle next = 100;
  bool fail_launch = false;
};

pm_protocol::SpawnRequest spawn_request(const char* module) {
  pm_protocol::SpawnRequest request{};
  std::strncpy(request.module, module, sizeof(request.module) - 1);
  return request;
}

class ProcessServiceTest : public ::testing::Test {
 protected:
  Call from(uint64_t badge) {
    Call call;
    call.badge = badge;
    return call;
  }
  uint64_t spawn(uint64_t badge, const char* module = "hello", uint32_t flags = 0) {
    pm_protocol::SpawnRequest request = spawn_request(module);
    request.flags = flags;
    Call call = from(badge);
    Result<pm_protocol::SpawnReply> reply = service_.spawn(request, call);
    EXPECT_TRUE(reply.ok()) << (call.reason ? call.reason : "");
    return reply.ok() ? reply->pid : 0;
  }
  abi::Handle task_of(uint64_t pid) { return service_.table().find(pid)->task; }
  void die(uint64_t pid, abi::TaskState state, int64_t code, uint64_t fault = 0) {
    Process* p = service_.table().find(pid);
    kernel_.tasks[p->task] = abi::TaskStatus{state, 0, code, fault, 0, 0};
    Call reaper = from(pm_protocol::kReaperBadge);
    ASSERT_TRUE(service_.reap({service_.table().death_bit(*p)}, reaper).ok());
  }

  FakeProcessKernel kernel_;
  ProcessService service_{kernel_, 0};
};

TEST_F(ProcessServiceTest, SpawnChecksTheRequest) {
  Call call = from(kSystemBadge);
  EXPECT_EQ(service_.spawn(spawn_request(""), call).error(), Error::kInvalidArgument);
  for (const char* reserved : {"init", "mm", "pm"}) {
    EXPECT_EQ(service_.spawn(spawn_request(reserved), call).error(), Error::kAccessDenied);
  }
  pm_protocol::SpawnRequest unterminated;
  std::memset(&unterminated, 'x', sizeof(unterminated));
  EXPECT_EQ(service_.spawn(unterminated, call).error(), Error::kInvalidArgument);
  pm_protocol::SpawnRequest flags = spawn_request("hello");
  flags.flags = 0x80;
  EXPECT_EQ(service_.spawn(flags, call).error(), Error::kInvalidArgument);
  pm_protocol::SpawnRequest bytes = spawn_request("hello");
  bytes.argument_bytes = 1000;
  EXPECT_EQ(service_.spawn(bytes, call).error(), Error::kInvalidArgument);
  pm_protocol::SpawnRequest priority = spawn_request("hello");
  priority.priority = 32;
  EXPECT_EQ(service_.spawn(priority, call).error(), Error::kInvalidArgument);
  EXPECT_TRUE(kernel_.launches.empty());
}

TEST_F(ProcessServiceTest, CapabilityNamesMustMatchTheHandles) {
  pm_protocol::SpawnRequest request = spawn_request("ctl");
  std::strcpy(request.capability_names[0], "irq");
  Call none = from(kSystemBadge);
  EXPECT_EQ(service_.spawn(request, none).error(), Error::kInvalidArgument);
  Call two = from(kSystemBadge);
  two.received.add(5);
  two.received.add(6);
  EXPECT_EQ(service_.spawn(request, two).error(), Error::kInvalidArgument);
  std::strcpy(request.capability_names[1], "a=b");
  EXPECT_EQ(service_.spawn(request, two).error(), Error::kInvalidArgument);
  std::strcpy(request.capability_names[1], "ioports");
  ASSERT_TRUE(service_.spawn(request, two).ok());
  EXPECT_EQ(kernel_.launches.back().capabilities, 2u);
  EXPECT_EQ(two.received.count, 2u);  // copied into the child; the loop closes pm's copies
}

TEST_F(ProcessServiceTest, OnlyTheSystemStartsPrivilegedOrHighPriority) {
  uint64_t app = spawn(kSystemBadge);
  pm_protocol::SpawnRequest privileged = spawn_request("hello");
  privileged.flags = pm_protocol::kSpawnPrivileged;
  Call call = from(app);
  EXPECT_EQ(service_.spawn(privileged, call).error(), Error::kAccessDenied);
  pm_protocol::SpawnRequest urgent = spawn_request("hello");
  urgent.priority = 20;
  EXPECT_EQ(service_.spawn(urgent, call).error(), Error::kInvalidArgument);
  urgent.priority = kMaxApplicationPriority;
  EXPECT_TRUE(service_.spawn(urgent, call).ok());
  EXPECT_EQ(kernel_.launches.back().priority, kMaxApplicationPriority);
  Call unknown = from(0x777);
  EXPECT_EQ(service_.spawn(spawn_request("hello"), unknown).error(), Error::kAccessDenied);
}

TEST_F(ProcessServiceTest, FailedLaunchLeavesNoProcess) {
  kernel_.fail_launch = true;
  Call call = from(kSystemBadge);
  EXPECT_EQ(service_.spawn(spawn_request("hello"), call).error(), Error::kBadFormat);
  EXPECT_STREQ(call.reason, "not an executable this system runs");
  EXPECT_EQ(service_.table().live(), 0u);
  EXPECT_EQ(service_.table().started(), 0u);  // a refused spawn is no start
}

TEST_F(ProcessServiceTest, EndIsReapedReportedAndWaitedFor) {
  uint64_t parent = spawn(kSystemBadge, "shell");
  pm_protocol::SpawnRequest request = spawn_request("hello");
  Call spawn_call = from(parent);
  uint64_t pid = service_.spawn(request, spawn_call)->pid;
  abi::Handle task = task_of(pid);

  Call early = from(parent);
  early.received.add(77);  // a notification to signal at the end
  EXPECT_EQ(service_.wait({pid}, early).error(), Error::kBusy);
  EXPECT_EQ(early.received.values[0], abi::kNoHandle);  // kept

  die(pid, abi::TaskState::kExited, 3);
  EXPECT_TRUE(kernel_.closed.count(task));
  EXPECT_EQ(kernel_.forgotten.back(), pid);
  ASSERT_FALSE(kernel_.signals.empty());
  EXPECT_EQ(kernel_.signals.back(), std::make_pair(abi::Handle{77}, pm_protocol::kWaitBit));
  EXPECT_TRUE(kernel_.closed.count(77));

  Call other = from(0x999);
  Result<pm_protocol::WaitReply> seen = service_.wait({pid}, other);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->exit_code, 3);
  EXPECT_EQ(seen->state, abi::TaskState::kExited);
  ASSERT_NE(service_.table().find(pid), nullptr);  // only the parent's wait forgets it
  Call waiter = from(parent);
  ASSERT_TRUE(service_.wait({pid}, waiter).ok());
  EXPECT_EQ(service_.table().find(pid), nullptr);
  EXPECT_EQ(service_.wait({pid}, waiter).error(), Error::kNotFound);
}

TEST_F(ProcessServiceTest, ReapIgnoresTheLivingAndStrangers) {
  uint64_t a = spawn(kSystemBadge);
  Call forged = from(a);
  EXPECT_EQ(service_.reap({~0ull}, forged).error(), Error::kAccessDenied);
  Call reaper = from(pm_protocol::kReaperBadge);
  ASSERT_TRUE(service_.reap({~0ull}, reaper).ok());
  EXPECT_EQ(service_.table().find(a)->phase, Phase::kLive);
  EXPECT_EQ(service_.events().size(), 0u);
}

TEST_F(ProcessServiceTest, KillRules) {
  uint64_t parent = spawn(kSystemBadge, "shell");
  Call by_parent = from(parent);
  uint64_t child = service_.spawn(spawn_request("hello"), by_parent)->pid;
  uint64_t stranger = spawn(kSystemBadge, "other");
  Call call = from(stranger);
  EXPECT_EQ(service_.kill({child, 9}, call).error(), Error::kAccessDenied);
  ASSERT_TRUE(service_.table().adopt(pm_protocol::make_pid(0, 2), "mm").ok());
  Call system = from(kSystemBadge);
  EXPECT_EQ(service_.kill({pm_protocol::make_pid(0, 2), 9}, system).error(), Error::kAccessDenied);
  EXPECT_EQ(service_.kill({12345, 9}, system).error(), Error::kNotFound);

  ASSERT_TRUE(service_.kill({child, 9}, by_parent).ok());
  // Finished at once, not only when the reaper reports it.
  Process* killed = service_.table().find(child);
  ASSERT_NE(killed, nullptr);
  EXPECT_EQ(killed->phase, Phase::kEnded);
  EXPECT_EQ(killed->state, abi::TaskState::kKilled);
  EXPECT_EQ(killed->exit_code, 9);
  EXPECT_EQ(service_.kill({child, 9}, by_parent).error(), Error::kNotFound);
}

TEST_F(ProcessServiceTest, PrivilegedProcessesKillAnyAndReadEvents) {
  uint64_t ctl = spawn(kSystemBadge, "ctl", pm_protocol::kSpawnPrivileged);
  uint64_t app = spawn(kSystemBadge, "hello");
  Call by_app = from(app);
  EXPECT_EQ(service_.next_event({}, by_app).error(), Error::kAccessDenied);
  EXPECT_EQ(service_.register_console({}, by_app).error(), Error::kAccessDenied);

  Call registration = from(ctl);
  registration.received.add(40);
  registration.received.add(41);
  ASSERT_TRUE(service_.register_console({}, registration).ok());
  uint64_t later = spawn(kSystemBadge, "counter");
  EXPECT_EQ(kernel_.launches.back().console, 40u);  // pm badges a copy per child

  Call by_ctl = from(ctl);
  uint64_t names = spawn(kSystemBadge, "names", pm_protocol::kSpawnPrivileged);
  EXPECT_EQ(service_.kill({names, -1}, by_ctl).error(), Error::kAccessDenied);
  EXPECT_EQ(service_.kill({ctl, -1}, by_ctl).error(), Error::kAccessDenied);  // not itself
  ASSERT_TRUE(service_.kill({later, -1}, by_ctl).ok());
  EXPECT_EQ(kernel_.signals.back(), std::make_pair(abi::Handle{41}, pm_protocol::kEventBit));
  Result<pm_protocol::EventReply> event = service_.next_event({}, by_ctl);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->kind, pm_protocol::EventKind::kEnded);
  EXPECT_EQ(event->pid, later);
  EXPECT_STREQ(event->name, "counter");
  EXPECT_EQ(service_.next_event({}, by_ctl)->kind, pm_protocol::EventKind::kNone);
}

TEST_F(ProcessServiceTest, FaultIsReportedWithItsAddress) {
  uint64_t pid = spawn(kSystemBadge, "fault");
  die(pid, abi::TaskState::kFaulted, 0, 0xdead000);
  Call system = from(kSystemBadge);
  Result<pm_protocol::WaitReply> reply = service_.wait({pid}, system);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->state, abi::TaskState::kFaulted);
  EXPECT_EQ(reply->fault_address, 0xdead000u);
}

TEST_F(ProcessServiceTest, ListPagesAndFillsLiveData) {
  for (int i = 0; i < 8; ++i) spawn(kSystemBadge);
  Call call = from(kSystemBadge);
  Result<pm_protocol::ListReply> first = service_.list({0}, call);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->count, pm_protocol::kListMax);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->entries[0].resident_pages, 12u);
  EXPECT_EQ(first->entries[0].cpu_time_ns, 1000u);
  EXPECT_EQ(first->entries[0].thread_count, 1u);
  EXPECT_EQ(first->entries[0].state, abi::TaskState::kRunning);
  Result<pm_protocol::ListReply> second =
      service_.list({first->entries[pm_protocol::kListMax - 1].pid}, call);
  EXPECT_EQ(second->count, 2u);
  EXPECT_FALSE(second->more);
}

TEST_F(ProcessServiceTest, StatsCountStartsAndEnds) {
  uint64_t a = spawn(kSystemBadge);
  spawn(kSystemBadge);
  die(a, abi::TaskState::kExited, 0);
  Call call = from(kSystemBadge);
  Result<pm_protocol::StatsReply> stats = service_.stats({}, call);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->processes_started, 2u);
  EXPECT_EQ(stats->processes_ended, 1u);
  EXPECT_EQ(stats->processes_live, 1u);
  EXPECT_EQ(stats->cpu_time_ns, 1000u);
  EXPECT_EQ(stats->uptime_ns, 5u);
}

TEST_F(ProcessServiceTest, AdoptIsForInitOnly) {
  pm_protocol::AdoptRequest request{};
  std::strcpy(request.name, "mm");
  request.pid = pm_protocol::make_pid(0, 2);
  Call forged = from(12);
  EXPECT_EQ(service_.adopt(request, forged).error(), Error::kAccessDenied);
  Call init = from(kSystemBadge);
  init.received.add(5);
  init.received.add(6);
  ASSERT_TRUE(service_.adopt(request, init).ok());
  Process* mm = service_.table().find(request.pid);
  EXPECT_EQ(mm->task, 5u);
  EXPECT_EQ(mm->thread, 6u);
  EXPECT_TRUE(mm->adopted);
}

TEST_F(ProcessServiceTest, ManyProcessesComeAndGoWithoutLeaks) {
  for (int i = 0; i < 1000; ++i) {
    uint64_t pid = spawn(kSystemBadge);
    die(pid, abi::TaskState::kExited, 0);
  }
  EXPECT_EQ(service_.table().live(), 0u);
  // Every task and thread handle pm was given has been closed again.
  EXPECT_EQ(kernel_.closed.size(), 2000u);
  EXPECT_EQ(kernel_.forgotten.size(), 1000u);
}

}  // namespace
}  // namespace atoll_os::servers::pm
