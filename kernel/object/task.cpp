// Tasks: user memory operations and the ending of a task.
#include "object/task.h"

#include <new>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/debug_exit.h"
#include "arch/x86_64/kernel_address_space.h"
#include "arch/x86_64/memory_layout.h"
#include "arch/x86_64/user_address_space.h"
#include "atoll/abi/process.h"
#include "log.h"
#include "mm/kernel_memory.h"
#include "mm/user_frames.h"
#include "object/endpoint.h"
#include "object/notification.h"
#include "panic.h"
#include "sched/scheduler.h"

namespace atoll_os::kernel {
namespace {

void release_user_frame(PhysAddr frame) {
  user_frames().release(frame);
}

// The last page below 2^47 is never mapped: a syscall instruction ending there would
// leave a non-canonical return address, on which sysretq faults in ring 0.
bool user_range(uint64_t vaddr, uint64_t pages) {
  if (vaddr % kPageSize != 0 || pages == 0) return false;
  uint64_t limit = abi::kUserSpaceEnd / kPageSize - 1;
  return pages <= limit && vaddr / kPageSize <= limit - pages && vaddr != 0;
}

}  // namespace

uint32_t user_page_flags(uint32_t vm_flags) {
  uint32_t flags = x86_64::kPageUser;
  if (vm_flags & abi::kVmWrite) flags |= x86_64::kPageWritable;
  if (vm_flags & abi::kVmExecute) flags |= x86_64::kPageExecutable;
  if (vm_flags & abi::kVmUncached) flags |= x86_64::kPageUncached;
  return flags;
}

Task::Task()
    : KernelObject(abi::ObjectType::kTask), page_table_(0, x86_64::kDirectMap, frame_allocator()) {}

Result<Task*> Task::create(Endpoint* pager, uint64_t pager_badge, Notification* death,
                           uint64_t death_bits) {
  auto root = x86_64::create_user_root(frame_allocator());
  if (!root.ok()) return Err(root.error());
  auto* task = new (std::nothrow) Task;
  if (task == nullptr) {
    (void)frame_allocator().free(*root);
    return Err(Error::kOutOfMemory);
  }
  task->page_table_ = x86_64::PageTable(*root, x86_64::kDirectMap, frame_allocator());
  if (pager) pager->retain();
  if (death) death->retain();
  task->pager_ = pager;
  task->pager_badge_ = pager_badge;
  task->death_ = death;
  task->death_bits_ = death_bits;
  return task;
}

Task::~Task() {
  if (state_ == abi::TaskState::kRunning) release_everything();  // made but never run
}

void Task::release_everything() {
  kill_threads();
  handles_.clear();
  release_address_space();
  if (death_) death_->signal(death_bits_);
  if (pager_) std::exchange(pager_, nullptr)->release();
  if (death_) std::exchange(death_, nullptr)->release();
}

void Task::add_thread(Thread& thread) {
  thread.retain();
  threads_.push_back(thread);
}

void Task::thread_exited(Thread& thread, int64_t code) {
  if (!thread.task_link.linked()) return;
  ipc_abandon(thread);
  unqueue(thread);
  thread.set_state(ThreadState::kDead);
  threads_.remove(thread);
  thread.release();
  if (threads_.empty()) terminate(abi::TaskState::kExited, code);
}

void Task::kill_threads() {
  while (Thread* t = threads_.pop_front()) {
    ipc_abandon(*t);
    unqueue(*t);
    t->set_state(ThreadState::kDead);
    t->release();
  }
}

uint64_t* Task::leaf_entry_slow(uint64_t vaddr) {
  uint64_t page = vaddr & ~(kPageSize - 1);
  if (page_table_.root() == 0) return nullptr;
  uint64_t* entry = x86_64::user_leaf_entry(page_table_.root(), vaddr);
  if (entry == nullptr) return nullptr;  // not cached: a table may appear later
  leaf_cache_page_[leaf_cache_next_] = page;
  leaf_cache_entry_[leaf_cache_next_] = entry;
  leaf_cache_next_ = (leaf_cache_next_ + 1) % kLeafCacheSize;
  return entry;
}

void Task::release_address_space() {
  for (int i = 0; i < kLeafCacheSize; ++i) leaf_cache_page_[i] = ~0ull;
  if (page_table_.root() == 0) return;
  if (x86_64::read_cr3() == page_table_.root()) {
    x86_64::write_cr3(x86_64::kernel_page_table().root());
  }
  x86_64::destroy_user_root(page_table_.root(), frame_allocator(), release_user_frame);
  page_table_ = x86_64::PageTable(0, x86_64::kDirectMap, frame_allocator());
  pages_mapped_ = 0;
}

void Task::terminate(abi::TaskState how, int64_t code, uint64_t fault_address, uint64_t fault_rip) {
  if (state_ != abi::TaskState::kRunning) return;
  retain();  // our own handles may hold the last references to us
  state_ = how;
  exit_code_ = code;
  fault_address_ = fault_address;
  fault_rip_ = fault_rip;
  if (this == init_task_ && init_exit_powers_off_) {
    log_info("init: ended with code %ld; powering off as asked", code);
    x86_64::power_off(how == abi::TaskState::kExited && code == 0 ? KernelExit::kSuccess
                                                                  : KernelExit::kSelftestFailed);
  }
  if (this == init_task_) {
    panic("init ended (state %u, code %ld, fault at 0x%lx, rip 0x%lx)", unsigned(how), code,
          fault_address, fault_rip);
  }
  release_everything();
  release();
}

Result<void> Task::map_frame(uint64_t vaddr, PhysAddr frame, uint32_t flags) {
  TRY(page_table_.map(vaddr, frame, user_page_flags(flags)));
  ++pages_mapped_;
  return success();
}

Result<void> Task::map_zeroed(uint64_t vaddr, uint64_t pages, uint32_t flags) {
  if (!alive()) return Err(Error::kBadHandle);
  if (!user_range(vaddr, pages)) return Err(Error::kInvalidArgument);
  for (uint64_t i = 0; i < pages; ++i) {
    if (page_table_.translate(vaddr + i * kPageSize).ok()) return Err(Error::kAlreadyExists);
  }
  for (uint64_t i = 0; i < pages; ++i) {
    auto frame = user_frames().allocate_zeroed();
    auto mapped = frame.ok() ? map_frame(vaddr + i * kPageSize, *frame, flags) : Err(frame.error());
    if (!mapped.ok()) {
      if (frame.ok()) user_frames().release(*frame);
      (void)unmap(vaddr, i);
      return mapped;
    }
  }
  return success();
}

Result<PhysAddr> Task::map_contiguous(uint64_t vaddr, uint64_t pages, uint32_t flags) {
  if (!alive()) return Err(Error::kBadHandle);
  if (!user_range(vaddr, pages)) return Err(Error::kInvalidArgument);
  for (uint64_t i = 0; i < pages; ++i) {
    if (page_table_.translate(vaddr + i * kPageSize).ok()) return Err(Error::kAlreadyExists);
  }
  PhysAddr first = TRY(user_frames().allocate_contiguous_zeroed(pages));
  for (uint64_t i = 0; i < pages; ++i) {
    auto mapped = map_frame(vaddr + i * kPageSize, first + i * kPageSize, flags);
    if (!mapped.ok()) {
      for (uint64_t j = i; j < pages; ++j) user_frames().release(first + j * kPageSize);
      (void)unmap(vaddr, i);
      return Err(mapped.error());
    }
  }
  return first;
}

Result<void> Task::map_shared(Task& from, uint64_t from_vaddr, uint64_t vaddr, uint64_t pages,
                              uint32_t flags) {
  if (!alive() || !from.alive()) return Err(Error::kBadHandle);
  if (!user_range(vaddr, pages) || !user_range(from_vaddr, pages))
    return Err(Error::kInvalidArgument);
  for (uint64_t i = 0; i < pages; ++i) {
    auto source = from.page_table_.translate(from_vaddr + i * kPageSize);
    if (!source.ok() || !(source->flags & x86_64::kPageUser)) return Err(Error::kNotFound);
    if ((flags & abi::kVmWrite) && !(source->flags & x86_64::kPageWritable)) {
      return Err(Error::kAccessDenied);
    }
    if (page_table_.translate(vaddr + i * kPageSize).ok()) return Err(Error::kAlreadyExists);
  }
  for (uint64_t i = 0; i < pages; ++i) {
    PhysAddr frame = from.page_table_.translate(from_vaddr + i * kPageSize)->physical;
    auto shared = user_frames().share(frame);
    auto mapped = shared.ok() ? map_frame(vaddr + i * kPageSize, frame, flags) : shared;
    if (!mapped.ok()) {
      if (shared.ok()) user_frames().release(frame);
      (void)unmap(vaddr, i);
      return mapped;
    }
  }
  return success();
}

Result<uint64_t> Task::unmap(uint64_t vaddr, uint64_t pages) {
  if (pages == 0) return uint64_t(0);
  if (!user_range(vaddr, pages)) return Err(Error::kInvalidArgument);
  bool loaded = x86_64::read_cr3() == page_table_.root();
  uint64_t count = 0;
  for (uint64_t i = 0; i < pages; ++i) {
    uint64_t va = vaddr + i * kPageSize;
    auto frame = page_table_.unmap(va);
    if (!frame.ok()) continue;
    if (loaded) x86_64::invalidate_page(va);
    user_frames().release(*frame);
    --pages_mapped_;
    ++count;
  }
  return count;
}

Result<void> Task::protect(uint64_t vaddr, uint64_t pages, uint32_t flags) {
  if (!user_range(vaddr, pages)) return Err(Error::kInvalidArgument);
  for (uint64_t i = 0; i < pages; ++i) {
    if (!page_table_.translate(vaddr + i * kPageSize).ok()) return Err(Error::kNotFound);
  }
  bool loaded = x86_64::read_cr3() == page_table_.root();
  for (uint64_t i = 0; i < pages; ++i) {
    TRY(page_table_.protect(vaddr + i * kPageSize, user_page_flags(flags)));
    if (loaded) x86_64::invalidate_page(vaddr + i * kPageSize);
  }
  return success();
}

void Task::fill_status(abi::TaskStatus& out) const {
  out = {};
  out.state = state_;
  out.thread_count = uint32_t(threads_.size());
  out.exit_code = exit_code_;
  out.fault_address = fault_address_;
  out.fault_rip = fault_rip_;
  out.pages_mapped = pages_mapped_;
}

}  // namespace atoll_os::kernel
