// HeapArena: the user heap's allocator over one address range, separate from the system
// (no locks, no system calls) so that host unit tests can run it over a buffer.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::user {

/// Blocks of 16..2048 bytes come from one free list per power-of-two size class; larger
/// ones are whole pages (minus the header) and are reused best-fit. Fresh blocks are cut
/// from the untouched end of the range, so the pages behind a block are only touched
/// (and only cost memory) when the program writes to them. Nothing is returned to the
/// system: the range is the process's and is reclaimed when the process ends.
///
/// A task without a pager (init) has no demand-zero memory: it installs a GrowFunction
/// that maps pages, and the arena calls it before it touches memory beyond what it grew.
class HeapArena {
 public:
  static constexpr size_t kAlignment = 16;
  static constexpr size_t kSmallMax = 2048;
  static constexpr size_t kPageSize = 4096;
  static constexpr size_t kGrowStep = 64 * 1024;  // fewer, larger mapping calls

  /// Makes [from, to) usable (page-aligned, from < to); false if it cannot.
  using GrowFunction = bool (*)(uintptr_t from, uintptr_t to);

  /// Hands out [base, limit); both must be 16-byte aligned.
  constexpr HeapArena(uintptr_t base, uintptr_t limit)
      : base_(base), next_(base), limit_(limit), usable_end_(limit) {}

  /// From now on only memory made usable by `grow` is touched; call before allocating.
  void set_grow(GrowFunction grow) {
    grow_ = grow;
    usable_end_ = (next_ + kPageSize - 1) & ~uintptr_t{kPageSize - 1};
  }

  /// A 16-byte aligned block of at least `size` bytes, or nullptr if the range is used up.
  /// `fresh` (if given) says whether the block is untouched demand-zero memory.
  void* allocate(size_t size, bool* fresh = nullptr);

  /// Returns `block` to its free list; false if it is not a live block of this arena
  /// (a foreign pointer, a double free, or a corrupted header).
  bool free(void* block);

  /// Usable bytes of a live block (at least what was asked for); 0 if not a live block.
  size_t capacity(const void* block) const;

  size_t reserved_bytes() const { return next_ - base_; }
  size_t live_bytes() const { return live_bytes_; }

 private:
  struct Header;
  struct FreeBlock {
    FreeBlock* next;
  };
  static constexpr size_t kClassCount = 8;  // 16, 32, ..., 2048

  static size_t capacity_of_free(const FreeBlock* block);
  Header* live_header(const void* block) const;
  void* take_small(size_t class_index, bool* fresh);
  void* take_large(size_t capacity, bool* fresh);
  void* carve(size_t capacity);
  bool make_usable(uintptr_t end);

  uintptr_t base_;
  uintptr_t next_;  // start of the untouched part of the range
  uintptr_t limit_;
  uintptr_t usable_end_;  // the range below it may be touched
  GrowFunction grow_ = nullptr;
  size_t live_bytes_ = 0;
  FreeBlock* small_free_[kClassCount] = {};
  FreeBlock* large_free_ = nullptr;
};

}  // namespace atoll_os::user
