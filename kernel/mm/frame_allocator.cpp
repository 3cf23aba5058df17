// The bitmap frame allocator: placing its bitmap, marking RAM, and handing out frames.
#include "mm/frame_allocator.h"

namespace atoll_os::kernel {
namespace {

// The bitmap region holds two bit arrays of the same length, one bit per frame:
//   used        - set when the frame may not be handed out now (allocated or never free);
//   unavailable - set for frames that are never free (holes, reserved, the bitmap itself),
//                 so that freeing one is rejected instead of turning it into free RAM.
// Bits past the last frame are set in both, so searches never return them.
constexpr size_t kBitsPerWord = 64;
constexpr size_t kNone = SIZE_MAX;

size_t word_count(size_t frames) {
  return (frames + kBitsPerWord - 1) / kBitsPerWord;
}

bool test_bit(const uint64_t* bits, size_t i) {
  return (bits[i / kBitsPerWord] >> (i % kBitsPerWord)) & 1;
}

void fill_bits(uint64_t* bits, size_t first, size_t count, bool value) {
  for (size_t i = first; i < first + count; ++i) {
    uint64_t mask = 1ull << (i % kBitsPerWord);
    if (value) {
      bits[i / kBitsPerWord] |= mask;
    } else {
      bits[i / kBitsPerWord] &= ~mask;
    }
  }
}

// The first index in [first, first + count) whose bit is set, or kNone.
size_t first_set(const uint64_t* bits, size_t first, size_t count) {
  size_t end = first + count;
  for (size_t i = first; i < end;) {
    if (i % kBitsPerWord == 0 && end - i >= kBitsPerWord && bits[i / kBitsPerWord] == 0) {
      i += kBitsPerWord;  // a whole clear word: the common case in a long free run
      continue;
    }
    if (test_bit(bits, i)) return i;
    ++i;
  }
  return kNone;
}

size_t count_clear(const uint64_t* bits, size_t words) {
  size_t count = 0;
  for (size_t w = 0; w < words; ++w) {
    // Clears the lowest set bit per step; no popcount, which would call into libgcc.
    for (uint64_t clear = ~bits[w]; clear != 0; clear &= clear - 1) ++count;
  }
  return count;
}

// End of a range, saturated instead of wrapping for ranges that claim to pass 2^64.
uint64_t saturating_end(const MemoryRange& range) {
  return range.length > UINT64_MAX - range.base ? UINT64_MAX : range.base + range.length;
}

// The whole frames inside `range` (empty if none).
MemoryRange inner_frames(const MemoryRange& range) {
  if (range.base > UINT64_MAX - (kPageSize - 1)) return {};
  uint64_t base = align_up(range.base, kPageSize);
  uint64_t end = align_down(saturating_end(range), kPageSize);
  return end > base ? MemoryRange{base, end - base} : MemoryRange{};
}

// Every frame `range` touches (empty for an empty range).
MemoryRange outer_frames(const MemoryRange& range) {
  if (range.length == 0) return {};
  uint64_t base = align_down(range.base, kPageSize);
  uint64_t end = saturating_end(range);
  end = end > UINT64_MAX - (kPageSize - 1) ? align_down(UINT64_MAX, kPageSize)
                                           : align_up(end, kPageSize);
  return {base, end - base};
}

// The frame-aligned span from the lowest usable frame to the end of the highest.
Result<MemoryRange> usable_span(std::span<const MemoryRange> usable) {
  uint64_t low = UINT64_MAX;
  uint64_t high = 0;
  for (const MemoryRange& range : usable) {
    MemoryRange frames = inner_frames(range);
    if (frames.length == 0) continue;
    if (frames.base < low) low = frames.base;
    if (frames.end() > high) high = frames.end();
  }
  if (high == 0) return Err(Error::kInvalidArgument);
  return MemoryRange{low, high - low};
}

const MemoryRange* first_reserved_overlap(const MemoryRange& want,
                                          std::span<const MemoryRange> reserved) {
  for (const MemoryRange& range : reserved) {
    MemoryRange frames = outer_frames(range);
    if (frames.length != 0 && frames.overlaps(want)) return &range;
  }
  return nullptr;
}

// The first frame-aligned place of `bytes` inside a usable range and outside every reserved
// one. Each clash moves the candidate past the reserved range, so the search terminates.
Result<PhysAddr> place_bitmap(std::span<const MemoryRange> usable,
                              std::span<const MemoryRange> reserved, uint64_t bytes) {
  for (const MemoryRange& range : usable) {
    MemoryRange frames = inner_frames(range);
    PhysAddr candidate = frames.base;
    while (frames.length != 0 && candidate <= frames.end() && bytes <= frames.end() - candidate) {
      const MemoryRange* clash = first_reserved_overlap({candidate, bytes}, reserved);
      if (clash == nullptr) return candidate;
      candidate = outer_frames(*clash).end();
    }
  }
  return Err(Error::kOutOfMemory);
}

// Sets or clears the bits of the frames of `range` that lie inside the span.
void mark_range(uint64_t* bits, const MemoryRange& span, const MemoryRange& range, bool value) {
  if (range.length == 0 || !range.overlaps(span)) return;
  uint64_t base = range.base > span.base ? range.base : span.base;
  uint64_t end = range.end() < span.end() ? range.end() : span.end();
  fill_bits(bits, (base - span.base) / kPageSize, (end - base) / kPageSize, value);
}

// Starting from all bits set: usable frames clear, then reserved ones and the bitmap set.
void mark_initial(uint64_t* bits, const MemoryRange& span, std::span<const MemoryRange> usable,
                  std::span<const MemoryRange> reserved, const MemoryRange& bitmap) {
  for (const MemoryRange& range : usable) mark_range(bits, span, inner_frames(range), false);
  for (const MemoryRange& range : reserved) mark_range(bits, span, outer_frames(range), true);
  mark_range(bits, span, bitmap, true);
}

// The bit index of `frame`; kInvalidArgument if unaligned or outside the span.
Result<size_t> frame_index(PhysAddr frame, PhysAddr first_frame, size_t frame_count) {
  if (frame % kPageSize != 0 || frame < first_frame) return Err(Error::kInvalidArgument);
  uint64_t index = (frame - first_frame) / kPageSize;
  if (index >= frame_count) return Err(Error::kInvalidArgument);
  return static_cast<size_t>(index);
}

}  // namespace

Result<FrameAllocator> FrameAllocator::create(std::span<const MemoryRange> usable,
                                              std::span<const MemoryRange> reserved,
                                              PhysicalWindow window) {
  MemoryRange span = TRY(usable_span(usable));
  size_t frames = span.length / kPageSize;
  size_t words = word_count(frames);
  uint64_t bitmap_bytes = align_up(2 * words * sizeof(uint64_t), kPageSize);
  PhysAddr bitmap_base = TRY(place_bitmap(usable, reserved, bitmap_bytes));

  FrameAllocator allocator;
  allocator.bitmap_ = window.at<uint64_t>(bitmap_base);
  allocator.first_frame_ = span.base;
  allocator.frame_count_ = frames;
  allocator.bitmap_range_ = {bitmap_base, bitmap_bytes};
  uint64_t* used = allocator.bitmap_;
  uint64_t* unavailable = used + words;
  __builtin_memset(used, 0xff, 2 * words * sizeof(uint64_t));
  mark_initial(used, span, usable, reserved, allocator.bitmap_range_);
  mark_initial(unavailable, span, usable, reserved, allocator.bitmap_range_);
  allocator.free_frames_ = count_clear(used, words);
  allocator.usable_frames_ = allocator.free_frames_;
  return allocator;
}

Result<PhysAddr> FrameAllocator::allocate() {
  size_t words = word_count(frame_count_);
  for (size_t n = 0; free_frames_ != 0 && n < words; ++n) {
    size_t w = (next_hint_ + n) % words;
    if (bitmap_[w] == UINT64_MAX) continue;
    size_t bit = static_cast<size_t>(__builtin_ctzll(~bitmap_[w]));
    bitmap_[w] |= 1ull << bit;
    --free_frames_;
    next_hint_ = w;
    return first_frame_ + (w * kBitsPerWord + bit) * kPageSize;
  }
  return Err(Error::kOutOfMemory);
}

Result<PhysAddr> FrameAllocator::allocate_contiguous(size_t count, uint64_t align) {
  if (count == 0 || align < kPageSize || (align & (align - 1)) != 0) {
    return Err(Error::kInvalidArgument);
  }
  if (count > free_frames_ || align - 1 > UINT64_MAX - first_frame_) {
    return Err(Error::kOutOfMemory);
  }
  uint64_t step = align / kPageSize;
  uint64_t index = (align_up(first_frame_, align) - first_frame_) / kPageSize;
  while (index < frame_count_ && count <= frame_count_ - index) {
    size_t used = first_set(bitmap_, index, count);
    if (used == kNone) {
      fill_bits(bitmap_, index, count, true);
      free_frames_ -= count;
      return first_frame_ + index * kPageSize;
    }
    // The next candidate is the first aligned index past the used frame.
    index += (used + 1 - index + step - 1) / step * step;
  }
  return Err(Error::kOutOfMemory);
}

Result<void> FrameAllocator::free(PhysAddr frame) {
  return free_contiguous(frame, 1);
}

Result<void> FrameAllocator::free_contiguous(PhysAddr first, size_t count) {
  size_t index = TRY(frame_index(first, first_frame_, frame_count_));
  if (count == 0 || count > frame_count_ - index) return Err(Error::kInvalidArgument);
  const uint64_t* unavailable = bitmap_ + word_count(frame_count_);
  if (first_set(unavailable, index, count) != kNone) return Err(Error::kInvalidArgument);
  // Check every frame before changing any, so a double free leaves the bitmap untouched.
  for (size_t i = index; i < index + count; ++i) {
    if (!test_bit(bitmap_, i)) return Err(Error::kNotFound);
  }
  fill_bits(bitmap_, index, count, false);
  free_frames_ += count;
  if (index / kBitsPerWord < next_hint_) next_hint_ = index / kBitsPerWord;
  return success();
}

bool FrameAllocator::is_used(PhysAddr frame) const {
  Result<size_t> index = frame_index(align_down(frame, kPageSize), first_frame_, frame_count_);
  return index.ok() && test_bit(bitmap_, *index);
}

}  // namespace atoll_os::kernel
