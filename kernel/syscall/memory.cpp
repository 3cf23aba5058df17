// System calls: the memory manager's primitives over tasks' address spaces.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/user_address_space.h"
#include "atoll/abi/process.h"
#include "mm/kernel_memory.h"
#include "mm/user_access.h"
#include "mm/user_frames.h"
#include "object/task.h"
#include "syscall/syscall.h"

namespace atoll_os::kernel {
namespace {

constexpr uint32_t kKnownVmFlags = abi::kVmWrite | abi::kVmExecute | abi::kVmUncached;
constexpr uint64_t kBitmapChunkWords = 64;      // 4096 pages per chunk copied out
constexpr uint64_t kMaxScanPages = 1ull << 24;  // 64 GiB: bounds the time one call takes

Result<Task*> memory_task(uint64_t handle) {
  if (handle > UINT32_MAX) return Err(Error::kBadHandle);
  auto entry =
      current_task().handles().lookup(uint32_t(handle), abi::ObjectType::kTask, abi::kRightMemory);
  if (!entry.ok()) return Err(entry.error());
  return static_cast<Task*>((*entry)->object);
}

bool flags_ok(uint64_t flags) {
  return (flags & ~uint64_t(kKnownVmFlags)) == 0;
}

// Calls `probe(entry)` for each page's leaf entry (nullptr if unmapped) and writes one bit
// per page to the user bitmap at `bitmap`; returns how many bits were set.
template <typename Probe>
Result<uint64_t> scan_pages(Task& task, uint64_t vaddr, uint64_t pages, uint64_t bitmap,
                            Probe probe) {
  if (vaddr % kPageSize != 0 || pages > kMaxScanPages) return Err(Error::kInvalidArgument);
  if (vaddr + pages * kPageSize > abi::kUserSpaceEnd) return Err(Error::kInvalidArgument);
  TRY(check_user_range(current_task(), bitmap, (pages + 63) / 64 * 8, true));
  uint64_t words[kBitmapChunkWords];
  uint64_t set = 0;
  for (uint64_t first = 0; first < pages; first += kBitmapChunkWords * 64) {
    uint64_t count =
        pages - first < kBitmapChunkWords * 64 ? pages - first : kBitmapChunkWords * 64;
    __builtin_memset(words, 0, sizeof(words));
    for (uint64_t i = 0; i < count;) {
      uint64_t va = vaddr + (first + i) * kPageSize;
      uint64_t absent = 1;
      uint64_t* entry = x86_64::user_leaf_entry(task.page_table().root(), va, &absent);
      if (entry == nullptr) {  // a missing table: skip every page it would have held
        i += absent < count - i ? absent : count - i;
        continue;
      }
      if (probe(entry, va)) {
        words[i / 64] |= 1ull << (i % 64);
        ++set;
      }
      ++i;
    }
    TRY(copy_to_user(current_task(), bitmap + first / 8, words, (count + 63) / 64 * 8));
  }
  return set;
}

}  // namespace

int64_t sys_vm_map_zeroed(const SyscallArgs& args) {
  auto task = memory_task(args.a0);
  if (!task.ok()) return -int64_t(task.error());
  if (!flags_ok(args.a3)) return -int64_t(Error::kInvalidArgument);
  return syscall_result((*task)->map_zeroed(args.a1, args.a2, uint32_t(args.a3)));
}

int64_t sys_vm_share(const SyscallArgs& args) {
  auto from = memory_task(args.a0);
  auto to = memory_task(args.a2);
  if (!from.ok()) return -int64_t(from.error());
  if (!to.ok()) return -int64_t(to.error());
  if (!flags_ok(args.a5)) return -int64_t(Error::kInvalidArgument);
  return syscall_result((*to)->map_shared(**from, args.a1, args.a3, args.a4, uint32_t(args.a5)));
}

int64_t sys_vm_unmap(const SyscallArgs& args) {
  // A task may always give up its own pages (granted windows, DMA buffers): handle 0.
  auto task = args.a0 == abi::kNoHandle ? Result<Task*>(&current_task()) : memory_task(args.a0);
  if (!task.ok()) return -int64_t(task.error());
  return syscall_result((*task)->unmap(args.a1, args.a2));
}

int64_t sys_vm_protect(const SyscallArgs& args) {
  auto task = memory_task(args.a0);
  if (!task.ok()) return -int64_t(task.error());
  if (!flags_ok(args.a3)) return -int64_t(Error::kInvalidArgument);
  return syscall_result((*task)->protect(args.a1, args.a2, uint32_t(args.a3)));
}

int64_t sys_vm_take_dirty(const SyscallArgs& args) {
  auto task = memory_task(args.a0);
  if (!task.ok()) return -int64_t(task.error());
  bool loaded = x86_64::read_cr3() == (*task)->page_table().root();
  auto dirty = scan_pages(**task, args.a1, args.a2, args.a3, [&](uint64_t* e, uint64_t va) {
    if (e == nullptr) return false;
    bool was_dirty = (*e & x86_64::kPteDirty) != 0;
    *e &= ~(x86_64::kPteDirty | x86_64::kPteAccessed);
    if (loaded) x86_64::invalidate_page(va);  // the next write must set D again
    return was_dirty;
  });
  return syscall_result(dirty);
}

int64_t sys_vm_query(const SyscallArgs& args) {
  auto task = memory_task(args.a0);
  if (!task.ok()) return -int64_t(task.error());
  auto present = scan_pages(**task, args.a1, args.a2, args.a3,
                            [](uint64_t* e, uint64_t) { return e != nullptr; });
  return syscall_result(present);
}

int64_t sys_memory_info(const SyscallArgs& args) {
  abi::MemoryInfo info{frame_allocator().usable_frames(), frame_allocator().free_frames(),
                       user_frames().frames_in_use(), KernelObject::live_count()};
  return syscall_result(UserPointer<abi::MemoryInfo>(args.a0).write(current_task(), info));
}

}  // namespace atoll_os::kernel
