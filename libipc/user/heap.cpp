// malloc, free, calloc, realloc and operator new/delete on the process heap.
#include "atoll/user/heap.h"

#include <new>

#include "atoll/abi/process.h"
#include "atoll/user/cstring.h"
#include "atoll/user/lock.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "heap_arena.h"

namespace atoll_os::user {
namespace {

// Constant-initialised (no constructor call), so that constructors of other globals may
// already allocate. Threads of the task share it under the lock.
constinit HeapArena arena(abi::kUserHeapBase, abi::kUserHeapLimit);
constinit YieldingLock arena_lock;
abi::Handle heap_task = abi::kNoHandle;  // the task heap_map_own_pages maps pages into

bool map_heap_pages(uintptr_t from, uintptr_t to) {
  uint64_t pages = (to - from) / HeapArena::kPageSize;
  return vm_map_zeroed(heap_task, from, pages, abi::kVmWrite).ok();
}

}  // namespace

void heap_map_own_pages(abi::Handle task) {
  LockGuard guard(arena_lock);
  heap_task = task;
  arena.set_grow(&map_heap_pages);
}

HeapStats heap_stats() {
  LockGuard guard(arena_lock);
  return {arena.reserved_bytes(), arena.live_bytes()};
}

}  // namespace atoll_os::user

using atoll_os::user::arena;
using atoll_os::user::arena_lock;
using atoll_os::user::LockGuard;

extern "C" {

void* malloc(size_t size) {
  LockGuard guard(arena_lock);
  return arena.allocate(size);
}

void free(void* block) {
  if (block == nullptr) return;
  bool freed;
  {
    LockGuard guard(arena_lock);
    freed = arena.free(block);
  }
  if (!freed) atoll_os::user::fatal("free() of a pointer that is not a live heap block");
}

// Fresh blocks are demand-zero pages never touched: clearing them would only make the
// pager map every page of a large calloc at once.
void* calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) return nullptr;
  bool fresh = false;
  void* block;
  {
    LockGuard guard(arena_lock);
    block = arena.allocate(total, &fresh);
  }
  if (block != nullptr && !fresh) memset(block, 0, total);
  return block;
}

void* realloc(void* block, size_t size) {
  if (block == nullptr) return malloc(size);
  size_t capacity;
  {
    LockGuard guard(arena_lock);
    capacity = arena.capacity(block);
  }
  if (capacity == 0) atoll_os::user::fatal("realloc() of a pointer that is not a live heap block");
  if (size <= capacity) return block;
  void* moved = malloc(size);
  if (moved == nullptr) return nullptr;  // C: the old block stays valid
  memcpy(moved, block, capacity);
  free(block);
  return moved;
}

}  // extern "C"

// Allocation failure has no exception to throw: a throwing new that fails is fatal, the
// nothrow forms return nullptr for the caller to check.
void* operator new(size_t size) {
  void* block = malloc(size);
  if (block == nullptr) atoll_os::user::fatal("operator new: out of memory");
  return block;
}
void* operator new[](size_t size) {
  return operator new(size);
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return malloc(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return malloc(size);
}
void operator delete(void* block) noexcept {
  free(block);
}
void operator delete[](void* block) noexcept {
  free(block);
}
void operator delete(void* block, size_t) noexcept {
  free(block);
}
void operator delete[](void* block, size_t) noexcept {
  free(block);
}
