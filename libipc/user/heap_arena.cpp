// HeapArena: size-class free lists for small blocks, best-fit page runs for large ones.
#include "heap_arena.h"

namespace atoll_os::user {

// Sits in the 16 bytes before every block, so blocks stay 16-byte aligned. The tag mixes a
// state constant with the capacity, so a stray pointer or a scribbled header is refused.
struct HeapArena::Header {
  uint64_t capacity;
  uint64_t tag;
};

namespace {

constexpr uint64_t kLiveTag = 0x6c69'7665'a70c'0001;  // "live"
constexpr uint64_t kFreeTag = 0x6672'6565'a70c'0002;  // "free"

constexpr size_t kHeaderSize = HeapArena::kAlignment;

size_t round_up(size_t value, size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// Size class of a small request: 0 for 1..16 bytes, 1 for 17..32, ..., 7 for 1025..2048.
size_t small_class(size_t size) {
  size_t index = 0;
  while ((size_t{HeapArena::kAlignment} << index) < size) ++index;
  return index;
}

size_t class_capacity(size_t index) {
  return size_t{HeapArena::kAlignment} << index;
}

}  // namespace

void* HeapArena::allocate(size_t size, bool* fresh) {
  static_assert(sizeof(Header) == kHeaderSize);
  if (size > limit_ - base_) return nullptr;  // also keeps the rounding below from overflowing
  if (size <= kSmallMax) return take_small(small_class(size), fresh);
  return take_large(round_up(size + kHeaderSize, kPageSize) - kHeaderSize, fresh);
}

void* HeapArena::take_small(size_t class_index, bool* fresh) {
  FreeBlock* block = small_free_[class_index];
  size_t capacity = class_capacity(class_index);
  if (block == nullptr) {
    if (fresh) *fresh = true;
    return carve(capacity);
  }
  small_free_[class_index] = block->next;
  auto* header = reinterpret_cast<Header*>(reinterpret_cast<uintptr_t>(block) - kHeaderSize);
  header->tag = kLiveTag ^ capacity;
  live_bytes_ += capacity;
  if (fresh) *fresh = false;
  return block;
}

// Best fit among freed large blocks, but never a block more than twice the size wanted: a
// small request must not pin a huge block that a later large request could have used.
void* HeapArena::take_large(size_t capacity, bool* fresh) {
  FreeBlock** best = nullptr;
  size_t best_capacity = 0;
  for (FreeBlock** link = &large_free_; *link != nullptr; link = &(*link)->next) {
    size_t candidate = capacity_of_free(*link);
    if (candidate < capacity || candidate / 2 > capacity) continue;
    if (best == nullptr || candidate < best_capacity) {
      best = link;
      best_capacity = candidate;
      if (candidate == capacity) break;
    }
  }
  if (best == nullptr) {
    if (fresh) *fresh = true;
    return carve(capacity);
  }
  FreeBlock* block = *best;
  *best = block->next;
  auto* header = reinterpret_cast<Header*>(reinterpret_cast<uintptr_t>(block) - kHeaderSize);
  header->tag = kLiveTag ^ best_capacity;
  live_bytes_ += best_capacity;
  if (fresh) *fresh = false;
  return block;
}

size_t HeapArena::capacity_of_free(const FreeBlock* block) {
  return reinterpret_cast<const Header*>(reinterpret_cast<uintptr_t>(block) - kHeaderSize)
      ->capacity;
}

// Grows the usable part to cover up to `end` (<= limit_), a kGrowStep at a time.
bool HeapArena::make_usable(uintptr_t end) {
  if (end <= usable_end_) return true;
  if (grow_ == nullptr) return false;
  uintptr_t from = usable_end_;  // page-aligned, or limit_ (then end > limit_, refused above)
  uintptr_t to = from + round_up(end - from, kGrowStep);
  if (to > limit_ || to < from) to = limit_;
  if (!grow_(from, to)) return false;
  usable_end_ = to;
  return true;
}

void* HeapArena::carve(size_t capacity) {
  if (limit_ - next_ < kHeaderSize + capacity) return nullptr;
  if (!make_usable(next_ + kHeaderSize + capacity)) return nullptr;
  auto* header = reinterpret_cast<Header*>(next_);
  header->capacity = capacity;
  header->tag = kLiveTag ^ capacity;
  next_ += kHeaderSize + capacity;
  live_bytes_ += capacity;
  return header + 1;
}

HeapArena::Header* HeapArena::live_header(const void* block) const {
  auto address = reinterpret_cast<uintptr_t>(block);
  if (address % kAlignment != 0 || address < base_ + kHeaderSize || address >= next_) {
    return nullptr;
  }
  auto* header = reinterpret_cast<Header*>(address - kHeaderSize);
  if (header->tag != (kLiveTag ^ header->capacity)) return nullptr;
  if (header->capacity > next_ - address) return nullptr;
  return header;
}

bool HeapArena::free(void* block) {
  Header* header = live_header(block);
  if (header == nullptr) return false;
  size_t capacity = header->capacity;
  header->tag = kFreeTag ^ capacity;
  live_bytes_ -= capacity;
  auto* node = static_cast<FreeBlock*>(block);
  if (capacity <= kSmallMax) {
    size_t index = small_class(capacity);
    node->next = small_free_[index];
    small_free_[index] = node;
  } else {
    node->next = large_free_;
    large_free_ = node;
  }
  return true;
}

size_t HeapArena::capacity(const void* block) const {
  const Header* header = live_header(block);
  return header == nullptr ? 0 : header->capacity;
}

}  // namespace atoll_os::user
