// The user heap: C allocation functions over [kUserHeapBase, kUserHeapLimit), which the
// pager fills with zeroed pages on first touch. operator new/delete use the same heap.
#pragma once

#include <stddef.h>

#include "atoll/abi/syscalls.h"

extern "C" {
/// 16-byte aligned; nullptr when the heap range is exhausted. malloc(0) returns a block.
void* malloc(size_t size);
/// Aborts the task (fatal) on a pointer that is not a live block: a double free is a bug.
void free(void* block);
void* calloc(size_t count, size_t size);
void* realloc(void* block, size_t size);
}

namespace atoll_os::user {

struct HeapStats {
  size_t reserved_bytes;  // address range handed out so far (touched or not)
  size_t live_bytes;      // capacity of the blocks in use
};
HeapStats heap_stats();

/// For a task without a pager (init, which the kernel starts with none): from now on the
/// heap maps its own pages, vm_map_zeroed on `task` (needs kRightMemory), before it uses
/// them. The runtime does this for init before main; call before the first allocation.
void heap_map_own_pages(abi::Handle task);

}  // namespace atoll_os::user
