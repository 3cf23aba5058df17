// User halves of address spaces.
#include "arch/x86_64/user_address_space.h"

#include "arch/x86_64/kernel_address_space.h"
#include "arch/x86_64/memory_layout.h"

namespace atoll_os::kernel::x86_64 {
namespace {

constexpr uint64_t kPresent = 1, kLargePage = 1u << 7;
constexpr uint64_t kAddressMask = 0x000f'ffff'ffff'f000;
constexpr int kUserEntries = 256;  // PML4 slots 0..255 are the user half

uint64_t* table_at(uint64_t entry) {
  return kDirectMap.at<uint64_t>(entry & kAddressMask);
}

// Frees the table `entry` points to after recursing into present children.
void free_subtree(uint64_t entry, int level, FrameAllocator& frames, void (*release)(PhysAddr)) {
  uint64_t* table = table_at(entry);
  for (int i = 0; i < 512; ++i) {
    uint64_t e = table[i];
    if (!(e & kPresent)) continue;
    if (level == 1 || (e & kLargePage)) {
      release(e & kAddressMask);  // user mappings are 4 KiB leaves
    } else {
      free_subtree(e, level - 1, frames, release);
    }
  }
  (void)frames.free(entry & kAddressMask);
}

}  // namespace

Result<PhysAddr> create_user_root(FrameAllocator& frames) {
  PhysAddr root = TRY(frames.allocate());
  uint64_t* table = kDirectMap.at<uint64_t>(root);
  const uint64_t* kernel = kDirectMap.at<uint64_t>(kernel_page_table().root());
  for (int i = 0; i < 512; ++i) table[i] = i < kUserEntries ? 0 : kernel[i];
  return root;
}

void destroy_user_root(PhysAddr root, FrameAllocator& frames, void (*release_leaf)(PhysAddr)) {
  uint64_t* pml4 = kDirectMap.at<uint64_t>(root);
  for (int i = 0; i < kUserEntries; ++i) {
    if (pml4[i] & kPresent) free_subtree(pml4[i], 3, frames, release_leaf);
  }
  (void)frames.free(root);
}

uint64_t* user_leaf_entry(PhysAddr root, uint64_t virt) {
  uint64_t absent = 0;
  return user_leaf_entry(root, virt, &absent);
}

uint64_t* user_leaf_entry(PhysAddr root, uint64_t virt, uint64_t* absent_pages) {
  uint64_t entry = root | kPresent;
  *absent_pages = 1;
  for (int level = 4; level >= 1; --level) {
    uint64_t* table = table_at(entry);
    const unsigned shift = 12 + 9 * (level - 1);
    uint64_t* slot = &table[(virt >> shift) & 511];
    if (!(*slot & kPresent)) {
      // Nothing is mapped up to the end of what this entry would cover.
      const uint64_t span = uint64_t{1} << shift;
      *absent_pages = ((virt | (span - 1)) + 1 - virt) / kPageSize;
      return nullptr;
    }
    if (level == 1) return slot;
    if (*slot & kLargePage) return nullptr;
    entry = *slot;
  }
  return nullptr;
}

}  // namespace atoll_os::kernel::x86_64
