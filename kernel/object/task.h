// A task: an address space, a handle table and threads — the kernel's only notion of a
// process; processes, PIDs and migration belong to the servers.
#pragma once

#include <stdint.h>

#include "arch/x86_64/page_table.h"
#include "atoll/abi/syscalls.h"
#include "lib/intrusive_list.h"
#include "object/handle_table.h"
#include "object/kernel_object.h"
#include "object/thread.h"

namespace atoll_os::kernel {

class Endpoint;
class Notification;

class Task final : public KernelObject {
 public:
  /// A task with an empty user half. `pager` (may be null) receives its page faults with
  /// `pager_badge`; `death` (may be null) gets `death_bits` when the task ends.
  static Result<Task*> create(Endpoint* pager, uint64_t pager_badge, Notification* death,
                              uint64_t death_bits);

  x86_64::PageTable& page_table() { return page_table_; }
  HandleTable& handles() { return handles_; }
  bool alive() const { return state_ == abi::TaskState::kRunning; }
  abi::TaskState state() const { return state_; }
  Endpoint* pager() const { return pager_; }
  uint64_t pager_badge() const { return pager_badge_; }
  bool io_ports_enabled() const { return io_ports_; }
  void enable_io_ports() { io_ports_ = true; }

  /// Adds a started thread to the task (takes a reference).
  void add_thread(Thread& thread);
  /// Called when one of its threads exits; the last one ends the task with `code`.
  void thread_exited(Thread& thread, int64_t code);
  /// Ends the task: every thread dies, the address space and handles are released, the
  /// death notification is signalled. Safe to call on the current task (the caller must
  /// then schedule away) and more than once.
  void terminate(abi::TaskState how, int64_t code, uint64_t fault_address = 0,
                 uint64_t fault_rip = 0);

  /// Maps fresh zeroed frames; rolls back on failure. flags: abi::VmFlags.
  Result<void> map_zeroed(uint64_t vaddr, uint64_t pages, uint32_t flags);
  /// Maps fresh, zeroed, physically contiguous frames; returns the first one's address.
  Result<PhysAddr> map_contiguous(uint64_t vaddr, uint64_t pages, uint32_t flags);
  /// Maps the frames of `from` at [from_vaddr, ...) here too.
  Result<void> map_shared(Task& from, uint64_t from_vaddr, uint64_t vaddr, uint64_t pages,
                          uint32_t flags);
  Result<uint64_t> unmap(uint64_t vaddr, uint64_t pages);
  Result<void> protect(uint64_t vaddr, uint64_t pages, uint32_t flags);
  uint64_t pages_mapped() const { return pages_mapped_; }

  void fill_status(abi::TaskStatus& out) const;

  /// The 4 KiB leaf entry mapping `vaddr` (nullptr if no table reaches it), through a small
  /// cache of recent walks: the IPC copy path asks for the same few pages again and again.
  /// A cached pointer stays valid until the address space is released, because user page
  /// tables are only ever freed then; callers still check the entry's present bit.
  uint64_t* leaf_entry(uint64_t vaddr) {
    uint64_t page = vaddr & ~(kPageSize - 1);
    for (int i = 0; i < kLeafCacheSize; ++i) {
      if (leaf_cache_page_[i] == page) return leaf_cache_entry_[i];
    }
    return leaf_entry_slow(vaddr);
  }

  /// The first task: its end is the end of the system, so it panics instead.
  static void set_init(Task* task) { init_task_ = task; }
  /// With the boot option poweroff_on_init_exit, init's end powers the node off instead:
  /// exit code 0 as success, anything else as a self-test failure (guest test programs).
  static void set_init_exit_powers_off(bool on) { init_exit_powers_off_ = on; }

 private:
  Task();
  ~Task() override;
  Result<void> map_frame(uint64_t vaddr, PhysAddr frame, uint32_t flags);
  void release_address_space();
  void release_everything();
  uint64_t* leaf_entry_slow(uint64_t vaddr);
  void kill_threads();

  x86_64::PageTable page_table_;
  HandleTable handles_;
  IntrusiveList<Thread, &Thread::task_link> threads_;
  Endpoint* pager_ = nullptr;  // holds a reference
  uint64_t pager_badge_ = 0;
  Notification* death_ = nullptr;  // holds a reference
  uint64_t death_bits_ = 0;
  abi::TaskState state_ = abi::TaskState::kRunning;
  int64_t exit_code_ = 0;
  uint64_t fault_address_ = 0;
  uint64_t fault_rip_ = 0;
  uint64_t pages_mapped_ = 0;
  bool io_ports_ = false;
  static constexpr int kLeafCacheSize = 4;
  uint64_t leaf_cache_page_[kLeafCacheSize] = {~0ull, ~0ull, ~0ull, ~0ull};
  uint64_t* leaf_cache_entry_[kLeafCacheSize] = {};
  int leaf_cache_next_ = 0;
  static inline Task* init_task_ = nullptr;
  static inline bool init_exit_powers_off_ = false;
};

/// Converts abi::VmFlags into page-table flags for a user page.
uint32_t user_page_flags(uint32_t vm_flags);

}  // namespace atoll_os::kernel
