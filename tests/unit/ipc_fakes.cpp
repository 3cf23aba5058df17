// Link seams for the IPC rendezvous tests. endpoint.cpp is compiled unchanged; the functions
// it calls outside itself are defined here instead of in the scheduler, message_transfer.cpp,
// task.cpp, thread.cpp and notification.cpp, none of which this executable links.
#include "ipc_fakes.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <string.h>

#include <new>

#include "arch/x86_64/memory_layout.h"

#include "object/message_transfer.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace ipc_test {

World& world() {
  static World instance;
  return instance;
}

void World::reset() {
  while (timeouts.pop_front()) {
  }
  current = nullptr;
  blocks.clear();
  readied.clear();
  deliveries.clear();
  outcomes.clear();
  terminations.clear();
  notification_unlinks.clear();
  switches.clear();
  highest_ready = -1;
  for (auto& [where, page] : user_pages) free(page.bytes);
  user_pages.clear();
}

void expire_timeout(Thread& thread) {
  ASSERT_TRUE(thread.timeout_link.linked()) << "no timeout armed";
  world().timeouts.remove(thread);
  if (thread.on_timeout) thread.on_timeout(thread);
  thread.ipc.result = -int64_t(Error::kTimedOut);
  make_ready(thread);
}

Task* make_task() {
  auto task = Task::create(nullptr, 0, nullptr, 0);
  EXPECT_TRUE(task.ok());
  return task.ok() ? *task : nullptr;
}

Thread* make_thread(Task& task) {
  auto thread = Thread::create_user(task, 0, 0, 0);
  EXPECT_TRUE(thread.ok());
  if (!thread.ok()) return nullptr;
  (*thread)->set_state(ThreadState::kReady);
  return *thread;
}

Notification* make_notification() {
  auto n = Notification::create();
  EXPECT_TRUE(n.ok());
  return n.ok() ? *n : nullptr;
}

namespace {

FrameAllocator no_frames;  // a simulated task's page table is never used
constexpr uint64_t kPtePresent = 1, kPteWritable = 1u << 1, kPteUser = 1u << 2;

}  // namespace

// The entry holds the "physical" address that the direct map turns into the host page:
// user_pointer() computes kDirectMap.at(physical), i.e. physical + kDirectMapBase.
void map_user_page(const Task& task, uint64_t vaddr, bool writable) {
  ASSERT_EQ(vaddr % kPageSize, 0u);
  auto* bytes = static_cast<uint8_t*>(aligned_alloc(kPageSize, kPageSize));
  memset(bytes, 0, kPageSize);
  uint64_t physical = reinterpret_cast<uintptr_t>(bytes) - x86_64::kDirectMapBase;
  ASSERT_EQ(physical & ~0x000f'ffff'ffff'f000ull, 0u) << "host page beyond 52-bit addresses";
  uint64_t pte = physical | kPtePresent | kPteUser | (writable ? kPteWritable : 0);
  auto [it, added] = world().user_pages.try_emplace({&task, vaddr}, UserPage{bytes, pte});
  if (!added) free(bytes);
  ASSERT_TRUE(added) << "page mapped twice";
}

uint64_t* user_pte(const Task& task, uint64_t vaddr) {
  auto it = world().user_pages.find({&task, vaddr & ~(kPageSize - 1)});
  return it == world().user_pages.end() ? nullptr : &it->second.pte;
}

uint8_t* user_bytes(const Task& task, uint64_t vaddr) {
  auto it = world().user_pages.find({&task, vaddr & ~(kPageSize - 1)});
  EXPECT_NE(it, world().user_pages.end()) << "unmapped user address";
  return it->second.bytes + vaddr % kPageSize;
}

}  // namespace ipc_test

using ipc_test::world;

// --- The scheduler (sched/scheduler.cpp) -------------------------------------------------

// Checks what the real scheduler relies on: a thread made ready is on no wait queue and
// has no timeout armed that could fire later.
void make_ready(Thread& thread) {
  EXPECT_FALSE(thread.wait_link.linked()) << "readied while still on a queue";
  EXPECT_EQ(thread.ipc.endpoint, nullptr) << "readied while still on an endpoint";
  EXPECT_FALSE(thread.timeout_link.linked()) << "readied with its timeout still armed";
  thread.set_state(ThreadState::kReady);
  world().readied.push_back(&thread);
}

// cancel_timeout() itself is inline: it calls this only for a thread with a timeout armed.
void cancel_timeout_slow(Thread& thread) {
  world().timeouts.remove(thread);
}

int64_t block_current(ThreadState state, uint64_t timeout_ns, void (*on_timeout)(Thread&)) {
  Thread* current = world().current;
  EXPECT_NE(current, nullptr) << "blocked with no current thread";
  if (current == nullptr) return ipc_test::kBlocked;
  current->set_state(state);
  current->ipc.result = 0;
  if (timeout_ns != abi::kForever) {
    EXPECT_FALSE(current->timeout_link.linked()) << "a second timeout armed";
    current->on_timeout = on_timeout;
    current->deadline_ns = timeout_ns;
    if (!current->timeout_link.linked()) world().timeouts.push_back(*current);
  }
  world().blocks.push_back({current, state, timeout_ns});
  return ipc_test::kBlocked;
}

int detail::highest_ready_priority() {
  return world().highest_ready;
}

// As the real one: the current thread blocks, `next` is ready and runs.
int64_t block_and_switch_to(ThreadState state, Thread& next) {
  Thread* current = world().current;
  EXPECT_NE(current, nullptr) << "switched with no current thread";
  if (current == nullptr) return ipc_test::kBlocked;
  EXPECT_FALSE(next.wait_link.linked()) << "switched to a thread still on a queue";
  EXPECT_EQ(next.ipc.endpoint, nullptr) << "switched to a thread still on an endpoint";
  EXPECT_FALSE(next.timeout_link.linked()) << "switched to a thread with a timeout armed";
  current->set_state(state);
  current->ipc.result = 0;
  next.set_state(ThreadState::kReady);
  world().switches.push_back({current, state, &next});
  return ipc_test::kBlocked;
}

// --- Message transfer (object/message_transfer.cpp) --------------------------------------

Result<void> deliver_message(Thread& sender, Thread& receiver, bool& receiver_fault) {
  world().deliveries.push_back({&sender, &receiver, sender.ipc.badge});
  receiver_fault = false;
  if (world().outcomes.empty()) return success();
  ipc_test::DeliveryOutcome outcome = world().outcomes.front();
  world().outcomes.pop_front();
  receiver_fault = outcome.receiver_fault;
  if (outcome.error == Error::kOk) return success();
  return Err(outcome.error);
}

// --- Task (object/task.cpp): no address space; terminate only records ---------------------

Task::Task() : KernelObject(abi::ObjectType::kTask), page_table_(0, {}, ipc_test::no_frames) {}

Task::~Task() {}

// Only the fake user memory: no page tables are walked.
uint64_t* Task::leaf_entry_slow(uint64_t vaddr) {
  return ipc_test::user_pte(*this, vaddr);
}

Result<Task*> Task::create(Endpoint*, uint64_t, Notification*, uint64_t) {
  auto* task = new (std::nothrow) Task;
  if (task == nullptr) return Err(Error::kOutOfMemory);
  return task;
}

void Task::terminate(abi::TaskState how, int64_t code, uint64_t fault_address, uint64_t fault_rip) {
  world().terminations.push_back({this, how, code, fault_address, fault_rip});
}

// --- Thread (object/thread.cpp): no kernel stack, no registers ----------------------------

Result<Thread*> Thread::create_user(Task& task, uint64_t, uint64_t, uint64_t) {
  auto* thread = new (std::nothrow) Thread;
  if (thread == nullptr) return Err(Error::kOutOfMemory);
  thread->task_ = &task;
  task.retain();
  return thread;
}

Result<Thread*> Thread::create_kernel(void (*)()) {
  auto* thread = new (std::nothrow) Thread;
  if (thread == nullptr) return Err(Error::kOutOfMemory);
  return thread;
}

Thread::~Thread() {
  EXPECT_FALSE(wait_link.linked()) << "a thread freed while queued";
  if (task_) task_->release();
}

// --- Notification (object/notification.cpp) -----------------------------------------------

Result<Notification*> Notification::create() {
  auto* n = new (std::nothrow) Notification;
  if (n == nullptr) return Err(Error::kOutOfMemory);
  return n;
}

void Notification::unlink(Thread& thread) {
  world().notification_unlinks.push_back(&thread);
  if (thread.ipc.notification == this) thread.ipc.notification = nullptr;
}

}  // namespace atoll_os::kernel
