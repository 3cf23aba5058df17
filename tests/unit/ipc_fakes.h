// Link seams for the IPC rendezvous tests: a simulated scheduler, message transfer, Task and
// Thread that record what endpoint.cpp and ipc_fastpath.cpp ask of them instead of switching
// or copying, and fake user memory for the fastpaths, which copy messages themselves.
#pragma once

#include <stdint.h>

#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"
#include "lib/intrusive_list.h"
#include "object/notification.h"
#include "object/task.h"
#include "object/thread.h"

namespace atoll_os::kernel::ipc_test {

/// What the fake block_current returns: the simulated thread is now blocked. Its system
/// call's real result is what the thread's ipc.result holds once something woke it.
inline constexpr int64_t kBlocked = INT64_MIN;

struct Delivery {
  Thread* sender;
  Thread* receiver;
  uint64_t badge;  // the sender's ipc.badge when it was delivered
};

/// What the next deliver_message answers. error kOk: delivered.
struct DeliveryOutcome {
  Error error;
  bool receiver_fault;
};

struct Termination {
  Task* task;
  abi::TaskState how;
  int64_t code;
  uint64_t fault_address;
  uint64_t fault_rip;
};

struct Block {
  Thread* thread;
  ThreadState state;
  uint64_t timeout_ns;
};

/// A direct hand-off (block_and_switch_to): `from` blocked in `state`, `to` runs.
struct Switch {
  Thread* from;
  ThreadState state;
  Thread* to;
};

/// One page of a simulated task's user memory: host memory and the leaf entry mapping it.
struct UserPage {
  uint8_t* bytes;  // 4 KiB, page-aligned
  uint64_t pte;    // what user_pointer() reads: the page's "physical" address and flags
};

/// Everything the fakes recorded since the last reset().
struct World {
  Thread* current = nullptr;  // the thread block_current blocks: the one "in" the syscall
  std::vector<Block> blocks;
  std::vector<Thread*> readied;  // make_ready, in order
  std::vector<Delivery> deliveries;
  std::deque<DeliveryOutcome> outcomes;  // scripted; when empty every delivery succeeds
  std::vector<Termination> terminations;
  std::vector<Thread*> notification_unlinks;
  std::vector<Switch> switches;
  int highest_ready = -1;  // the best priority on the run queue; -1: nothing ready
  std::map<std::pair<const Task*, uint64_t>, UserPage> user_pages;  // (task, page) -> page
  // Armed timeouts, in the order they were armed (the scheduler's list, minus the clock).
  IntrusiveList<Thread, &Thread::timeout_link> timeouts;

  void reset();
};

World& world();

/// What the scheduler's tick does to a thread whose deadline passed: off the timeout list,
/// its on_timeout callback, ipc.result = -kTimedOut, ready.
void expire_timeout(Thread& thread);

/// A task for simulated threads (no address space); Task::terminate only records.
Task* make_task();
/// A thread of `task` with neither kernel stack nor registers, in state kReady.
Thread* make_thread(Task& task);
Notification* make_notification();

/// Maps a fresh zeroed user page at `vaddr` (page-aligned) into `task`, as user_pointer()
/// finds it through the task's leaf entries.
void map_user_page(const Task& task, uint64_t vaddr, bool writable);
/// The page's entry (nullptr if unmapped), to check the dirty bit or revoke access.
uint64_t* user_pte(const Task& task, uint64_t vaddr);
/// The host address of user address `vaddr` in `task` (which must be mapped).
uint8_t* user_bytes(const Task& task, uint64_t vaddr);

}  // namespace atoll_os::kernel::ipc_test
