// The kernel heap: slab pages per size class, contiguous frames for large blocks.
#include "mm/heap.h"

#include <stddef.h>

#include <new>

namespace atoll_os::kernel {
namespace {

constexpr uint32_t kSlabMagic = 0x51ab51ab;
constexpr uint32_t kLargeMagic = 0x1a76e000;
constexpr size_t kMinBlockSize = 16;
constexpr uint16_t kNoBlock = 0xffff;
// A large block starts this far into its first frame, after the header; a multiple of
// kMaxAlign so every large block meets any alignment allocate() accepts.
constexpr size_t kLargeOffset = 64;

// The size class holding `size` bytes: class i holds blocks of 16 << i bytes.
size_t class_for(size_t size) {
  size_t index = 0;
  while ((kMinBlockSize << index) < size) ++index;
  return index;
}

bool valid_alignment(size_t align) {
  return align != 0 && (align & (align - 1)) == 0 && align <= Heap::kMaxAlign;
}

}  // namespace

// The first bytes of every page the heap owns. A slab page is followed by one uint16_t per
// block holding the size asked for (0 = free), then the blocks. A large block's first frame
// holds only this header; the block starts at kLargeOffset.
struct Heap::SlabHeader {
  uint32_t magic;
  uint16_t class_index;
  uint16_t capacity;  // blocks in the page
  uint16_t free_count;
  uint16_t free_head;     // first free block, linked through each free block's first bytes
  uint16_t first_offset;  // page offset of block 0
  const Heap* owner;      // tells this heap's pages from any other use of a frame
  SlabHeader* next;       // links of the partial list of its class
  SlabHeader* prev;
  size_t frame_count;  // large blocks only
  size_t requested;    // large blocks only

  uint8_t* page() { return reinterpret_cast<uint8_t*>(this); }
  uint16_t* sizes() { return reinterpret_cast<uint16_t*>(this + 1); }
  size_t block_size() const { return kMinBlockSize << class_index; }
  void* block(size_t index) { return page() + first_offset + index * block_size(); }

  void init_slab(const Heap* heap, size_t class_index);
  void* pop(size_t size);
  void push(size_t index);
  size_t index_of(const void* block);
  static SlabHeader* owning(const Heap* heap, void* block);
  static void link(SlabHeader*& head, SlabHeader* slab);
  static void unlink(SlabHeader*& head, SlabHeader* slab);
};

// Fits as many blocks as possible after the header and the size array; blocks are aligned
// to their size up to kMaxAlign, which is what makes every alignment <= the class hold.
void Heap::SlabHeader::init_slab(const Heap* heap, size_t index) {
  static_assert(sizeof(SlabHeader) <= kLargeOffset);
  magic = kSlabMagic;
  owner = heap;
  class_index = static_cast<uint16_t>(index);
  size_t size = block_size();
  size_t align = size < kMaxAlign ? size : kMaxAlign;
  size_t count = (kPageSize - sizeof(SlabHeader)) / (size + sizeof(uint16_t));
  while (align_up(sizeof(SlabHeader) + count * sizeof(uint16_t), align) + count * size >
         kPageSize) {
    --count;
  }
  capacity = static_cast<uint16_t>(count);
  first_offset =
      static_cast<uint16_t>(align_up(sizeof(SlabHeader) + count * sizeof(uint16_t), align));
  free_count = 0;
  free_head = kNoBlock;
  next = prev = nullptr;
  frame_count = 1;
  requested = 0;
  for (size_t i = count; i-- > 0;) push(i);
}

void* Heap::SlabHeader::pop(size_t size) {
  uint16_t index = free_head;
  __builtin_memcpy(&free_head, block(index), sizeof(free_head));
  --free_count;
  sizes()[index] = static_cast<uint16_t>(size);
  return block(index);
}

void Heap::SlabHeader::push(size_t index) {
  __builtin_memcpy(block(index), &free_head, sizeof(free_head));
  free_head = static_cast<uint16_t>(index);
  sizes()[index] = 0;
  ++free_count;
}

// The index of the block starting exactly at `pointer`, or kNoBlock.
size_t Heap::SlabHeader::index_of(const void* pointer) {
  uintptr_t offset = reinterpret_cast<uintptr_t>(pointer) - reinterpret_cast<uintptr_t>(page());
  if (offset < first_offset || (offset - first_offset) % block_size() != 0) return kNoBlock;
  size_t index = (offset - first_offset) / block_size();
  return index < capacity ? index : kNoBlock;
}

// The header of the page holding `block` if that page belongs to `heap`, else nullptr.
// Only frames the allocator reports in use are read, so a foreign pointer into unmapped or
// free memory is rejected without touching it; magic and owner are read as bytes first
// because the frame may hold anything.
Heap::SlabHeader* Heap::SlabHeader::owning(const Heap* heap, void* block) {
  PhysAddr page = align_down(heap->window_.physical(block), kPageSize);
  if (!heap->frames_->is_used(page)) return nullptr;
  uint8_t* bytes = heap->window_.at(page);
  uint32_t magic;
  const Heap* owner;
  __builtin_memcpy(&magic, bytes + offsetof(SlabHeader, magic), sizeof(magic));
  __builtin_memcpy(&owner, bytes + offsetof(SlabHeader, owner), sizeof(owner));
  if (owner != heap || (magic != kSlabMagic && magic != kLargeMagic)) return nullptr;
  return reinterpret_cast<SlabHeader*>(bytes);
}

void Heap::SlabHeader::link(SlabHeader*& head, SlabHeader* slab) {
  slab->prev = nullptr;
  slab->next = head;
  if (head != nullptr) head->prev = slab;
  head = slab;
}

void Heap::SlabHeader::unlink(SlabHeader*& head, SlabHeader* slab) {
  if (slab->prev != nullptr) slab->prev->next = slab->next;
  if (slab->next != nullptr) slab->next->prev = slab->prev;
  if (head == slab) head = slab->next;
  slab->next = slab->prev = nullptr;
}

Heap::SlabHeader* Heap::new_slab(size_t class_index) {
  Result<PhysAddr> frame = frames_->allocate();
  if (!frame.ok()) return nullptr;
  auto* slab = new (window_.at(*frame)) SlabHeader;
  slab->init_slab(this, class_index);
  SlabHeader::link(partial_[class_index], slab);
  ++stats_.frames_held;
  return slab;
}

void* Heap::allocate(size_t size, size_t align) {
  if (size == 0 || !valid_alignment(align)) return nullptr;
  if (size > kMaxSmallSize) return allocate_large(size);
  size_t class_index = class_for(size > align ? size : align);
  SlabHeader* slab = partial_[class_index];
  if (slab == nullptr) slab = new_slab(class_index);
  if (slab == nullptr) return nullptr;
  void* block = slab->pop(size);
  if (slab->free_count == 0) SlabHeader::unlink(partial_[class_index], slab);
  ++stats_.blocks_in_use;
  stats_.bytes_requested += size;
  return block;
}

void* Heap::allocate_large(size_t size) {
  if (size > SIZE_MAX - kLargeOffset - kPageSize) return nullptr;
  size_t count = (size + kLargeOffset + kPageSize - 1) / kPageSize;
  Result<PhysAddr> first = frames_->allocate_contiguous(count);
  if (!first.ok()) return nullptr;
  auto* header = new (window_.at(*first)) SlabHeader{};
  header->magic = kLargeMagic;
  header->owner = this;
  header->frame_count = count;
  header->requested = size;
  ++stats_.blocks_in_use;
  stats_.bytes_requested += size;
  stats_.frames_held += count;
  return header->page() + kLargeOffset;
}

bool Heap::free(void* block) {
  if (block == nullptr) return true;  // like C's free(NULL): nothing to do, nothing wrong
  SlabHeader* slab = SlabHeader::owning(this, block);
  if (slab == nullptr) return false;
  if (slab->magic == kLargeMagic) return free_large(slab, block);
  size_t index = slab->index_of(block);
  if (index == kNoBlock || slab->sizes()[index] == 0) return false;  // not a live block
  --stats_.blocks_in_use;
  stats_.bytes_requested -= slab->sizes()[index];
  slab->push(index);
  SlabHeader*& partial = partial_[slab->class_index];
  if (slab->free_count == 1) SlabHeader::link(partial, slab);
  if (slab->free_count == slab->capacity) {
    SlabHeader::unlink(partial, slab);
    slab->magic = 0;  // a stale pointer into a reused frame must not pass for a block
    // Cannot fail: the frame came from this allocator and is still marked used.
    static_cast<void>(frames_->free(window_.physical(slab)));
    --stats_.frames_held;
  }
  return true;
}

bool Heap::free_large(SlabHeader* header, void* block) {
  if (block != header->page() + kLargeOffset) return false;
  size_t count = header->frame_count;
  --stats_.blocks_in_use;
  stats_.bytes_requested -= header->requested;
  stats_.frames_held -= count;
  header->magic = 0;
  static_cast<void>(frames_->free_contiguous(window_.physical(header), count));
  return true;
}

}  // namespace atoll_os::kernel
