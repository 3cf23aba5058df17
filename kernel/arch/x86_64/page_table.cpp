// Building, walking and editing x86-64 4-level page tables through a PhysicalWindow.
#include "arch/x86_64/page_table.h"

#include <initializer_list>

namespace atoll_os::kernel::x86_64 {
namespace {

// Hardware page-table entry bits (Intel SDM vol. 3, 4.5).
constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kWritable = 1ull << 1;
constexpr uint64_t kUser = 1ull << 2;
constexpr uint64_t kWriteThrough = 1ull << 3;
constexpr uint64_t kCacheDisable = 1ull << 4;
constexpr uint64_t kAccessed = 1ull << 5;
constexpr uint64_t kDirty = 1ull << 6;
constexpr uint64_t kLargePage = 1ull << 7;  // PS: a leaf in a PDPT or PD entry
constexpr uint64_t kGlobal = 1ull << 8;
constexpr uint64_t kNoExecute = 1ull << 63;
constexpr uint64_t kAddressMask = 0x000ffffffffff000;

constexpr uint32_t kKnownFlags =
    kPageWritable | kPageUser | kPageExecutable | kPageGlobal | kPageUncached;
constexpr size_t kEntriesPerTable = 512;
constexpr int kTopLevel = 4;  // PML4; level 1 is the page table proper

// Bytes covered by one entry of a table at `level`: 4 KiB, 2 MiB, 1 GiB, 512 GiB.
constexpr uint64_t entry_span(int level) {
  return 1ull << (12 + 9 * (level - 1));
}

constexpr size_t index_at(uint64_t virt, int level) {
  return (virt >> (12 + 9 * (level - 1))) % kEntriesPerTable;
}

constexpr int level_of(PageSize size) {
  return size == PageSize::k4K ? 1 : size == PageSize::k2M ? 2 : 3;
}

constexpr PageSize size_of_level(int level) {
  return level == 1 ? PageSize::k4K : level == 2 ? PageSize::k2M : PageSize::k1G;
}

// PS is only meaningful in PDPT and PD entries; in a PML4 entry it is reserved.
constexpr bool is_leaf(uint64_t entry, int level) {
  return level == 1 || (level <= 3 && (entry & kLargePage) != 0);
}

// The frame an entry points to; for large leaves the low bits (PAT) are not address bits.
constexpr PhysAddr entry_address(uint64_t entry, int level) {
  return entry & kAddressMask & ~(entry_span(level) - 1);
}

uint64_t leaf_bits(uint32_t flags, int level) {
  uint64_t bits = kPresent;
  if (flags & kPageWritable) bits |= kWritable;
  if (flags & kPageUser) bits |= kUser;
  if (!(flags & kPageExecutable)) bits |= kNoExecute;
  if (flags & kPageGlobal) bits |= kGlobal;
  if (flags & kPageUncached) bits |= kCacheDisable | kWriteThrough;
  if (level > 1) bits |= kLargePage;
  return bits;
}

uint32_t flags_of(uint64_t entry) {
  uint32_t flags = kPageReadOnly;
  if (entry & kWritable) flags |= kPageWritable;
  if (entry & kUser) flags |= kPageUser;
  if (!(entry & kNoExecute)) flags |= kPageExecutable;
  if (entry & kGlobal) flags |= kPageGlobal;
  if (entry & kCacheDisable) flags |= kPageUncached;
  return flags;
}

uint64_t* table_at(PhysicalWindow window, PhysAddr table) {
  return window.at<uint64_t>(table);
}

Result<PhysAddr> new_table(PhysicalWindow window, FrameAllocator& frames) {
  PhysAddr frame = TRY(frames.allocate());
  __builtin_memset(window.at(frame), 0, kPageSize);
  return frame;
}

// A present leaf entry and the table entries above it.
struct Leaf {
  uint64_t* entry;
  int level;
  uint64_t* parents[kTopLevel - 1];
  int parent_count;
};

Result<Leaf> find_leaf(PhysicalWindow window, PhysAddr root, uint64_t virt) {
  Leaf leaf{};
  uint64_t* table = table_at(window, root);
  for (int level = kTopLevel;; --level) {
    uint64_t* entry = &table[index_at(virt, level)];
    if (!(*entry & kPresent)) return Err(Error::kNotFound);
    if (is_leaf(*entry, level)) {
      leaf.entry = entry;
      leaf.level = level;
      return leaf;
    }
    leaf.parents[leaf.parent_count++] = entry;
    table = table_at(window, *entry & kAddressMask);
  }
}

// Whether any leaf is present in the table at `level` or the tables below it.
bool has_mapping(PhysicalWindow window, PhysAddr table, int level) {
  const uint64_t* entries = table_at(window, table);
  for (size_t i = 0; i < kEntriesPerTable; ++i) {
    if (!(entries[i] & kPresent)) continue;
    if (is_leaf(entries[i], level)) return true;
    if (has_mapping(window, entries[i] & kAddressMask, level - 1)) return true;
  }
  return false;
}

// Returns a table that maps nothing, and the empty tables below it, to the allocator.
void free_tables(PhysicalWindow window, FrameAllocator& frames, PhysAddr table, int level) {
  const uint64_t* entries = table_at(window, table);
  for (size_t i = 0; level > 1 && i < kEntriesPerTable; ++i) {
    if (entries[i] & kPresent) free_tables(window, frames, entries[i] & kAddressMask, level - 1);
  }
  // Cannot fail: every table frame came from this allocator and is in use.
  static_cast<void>(frames.free(table));
}

// Makes a present `entry` at `level` free for a new leaf: it may only point to tables left
// empty by earlier unmaps, which are released. kAlreadyExists if anything is mapped there.
Result<void> clear_for_leaf(PhysicalWindow window, FrameAllocator& frames, uint64_t& entry,
                            int level) {
  if (is_leaf(entry, level)) return Err(Error::kAlreadyExists);
  PhysAddr table = entry & kAddressMask;
  if (has_mapping(window, table, level - 1)) return Err(Error::kAlreadyExists);
  entry = 0;
  free_tables(window, frames, table, level - 1);
  return success();
}

// The largest page size up to `max_size` that both addresses and `remaining` allow.
PageSize largest_fit(uint64_t virt, PhysAddr phys, uint64_t remaining, PageSize max_size) {
  for (PageSize size : {PageSize::k1G, PageSize::k2M}) {
    uint64_t bytes = page_size_bytes(size);
    if (size <= max_size && virt % bytes == 0 && phys % bytes == 0 && remaining >= bytes) {
      return size;
    }
  }
  return PageSize::k4K;
}

}  // namespace

Result<PageTable> PageTable::create(PhysicalWindow window, FrameAllocator& frames) {
  PhysAddr root = TRY(new_table(window, frames));
  return PageTable(root, window, frames);
}

Result<uint64_t*> PageTable::walk_to_table(uint64_t virt, int target_level, bool create,
                                           uint32_t flags) {
  uint64_t* table = table_at(window_, root_);
  for (int level = kTopLevel; level > target_level; --level) {
    uint64_t& entry = table[index_at(virt, level)];
    if (!(entry & kPresent)) {
      if (!create) return Err(Error::kNotFound);
      // Tables get full rights; the leaf alone restricts access.
      entry = TRY(new_table(window_, *frames_)) | kPresent | kWritable;
    } else if (is_leaf(entry, level)) {
      return Err(Error::kAlreadyExists);  // a larger page already covers this address
    }
    if (create && (flags & kPageUser)) entry |= kUser;
    table = table_at(window_, entry & kAddressMask);
  }
  return table;
}

Result<void> PageTable::map(uint64_t virt, PhysAddr phys, uint32_t flags, PageSize size) {
  uint64_t bytes = page_size_bytes(size);
  if (!is_canonical(virt) || virt % bytes != 0 || phys % bytes != 0 ||
      (phys & ~kAddressMask) != 0 || (flags & ~kKnownFlags) != 0) {
    return Err(Error::kInvalidArgument);
  }
  int level = level_of(size);
  uint64_t* table = TRY(walk_to_table(virt, level, true, flags));
  uint64_t& entry = table[index_at(virt, level)];
  if (entry & kPresent) TRY(clear_for_leaf(window_, *frames_, entry, level));
  entry = phys | leaf_bits(flags, level);
  return success();
}

Result<void> PageTable::map_range(uint64_t virt, PhysAddr phys, uint64_t length, uint32_t flags,
                                  PageSize max_size) {
  if (length % kPageSize != 0) return Err(Error::kInvalidArgument);
  if (length == 0) return success();
  // A range that wraps past 2^64 would silently map its tail at address 0.
  if (length - 1 > UINT64_MAX - virt || length - 1 > UINT64_MAX - phys) {
    return Err(Error::kInvalidArgument);
  }
  for (uint64_t done = 0; done < length;) {
    PageSize size = largest_fit(virt + done, phys + done, length - done, max_size);
    TRY(map(virt + done, phys + done, flags, size));
    done += page_size_bytes(size);
  }
  return success();
}

Result<PhysAddr> PageTable::unmap(uint64_t virt) {
  if (!is_canonical(virt)) return Err(Error::kInvalidArgument);
  Leaf leaf = TRY(find_leaf(window_, root_, virt));
  if (virt % entry_span(leaf.level) != 0) return Err(Error::kInvalidArgument);
  PhysAddr base = entry_address(*leaf.entry, leaf.level);
  *leaf.entry = 0;
  return base;
}

Result<void> PageTable::protect(uint64_t virt, uint32_t flags) {
  if (!is_canonical(virt) || (flags & ~kKnownFlags) != 0) return Err(Error::kInvalidArgument);
  Leaf leaf = TRY(find_leaf(window_, root_, virt));
  // Address, A and D survive; PS is set again by leaf_bits for large leaves.
  uint64_t kept = *leaf.entry & (kAddressMask | kAccessed | kDirty);
  *leaf.entry = kept | leaf_bits(flags, leaf.level);
  if (flags & kPageUser) {
    for (int i = 0; i < leaf.parent_count; ++i) *leaf.parents[i] |= kUser;
  }
  return success();
}

Result<Translation> PageTable::translate(uint64_t virt) const {
  if (!is_canonical(virt)) return Err(Error::kInvalidArgument);
  Leaf leaf = TRY(find_leaf(window_, root_, virt));
  uint64_t entry = *leaf.entry;
  uint64_t offset = virt & (entry_span(leaf.level) - 1);
  return Translation{entry_address(entry, leaf.level) + offset, flags_of(entry),
                     size_of_level(leaf.level), (entry & kAccessed) != 0, (entry & kDirty) != 0};
}

}  // namespace atoll_os::kernel::x86_64
