// The page store's bookkeeping: a linear-probing index over memory pages and disk blocks.
#include "page_store.h"

namespace atoll_os::servers::pagestore {
namespace {

uint64_t mix(uint64_t pid, uint64_t vaddr) {
  uint64_t h = (pid * 0x9e3779b97f4a7c15ull) ^ (vaddr >> 12);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

Error refuse(const char** reason, Error error, const char* why) {
  if (reason != nullptr) *reason = why;
  return error;
}

}  // namespace

size_t index_slots_for(uint32_t memory_pages, uint32_t disk_pages) {
  size_t wanted = 2 * (size_t{memory_pages} + disk_pages);
  size_t slots = 64;
  while (slots < wanted) slots *= 2;
  return slots;
}

Result<void> PageStore::init(StoreMemory memory, PageDisk* disk) {
  if (memory.pages.size() % kPageBytes != 0) return Err(Error::kInvalidArgument);
  size_t memory_pages = memory.pages.size() / kPageBytes;
  size_t disk_pages = disk == nullptr ? 0 : disk->blocks();
  if (memory.disk_free.size() < disk_pages) disk_pages = memory.disk_free.size();
  if (memory_pages > kMaxMemoryPages || disk_pages > kMaxDiskPages ||
      memory.memory_free.size() < memory_pages ||
      memory.index.size() != index_slots_for(uint32_t(memory_pages), uint32_t(disk_pages))) {
    return Err(Error::kInvalidArgument);
  }
  memory_ = memory;
  disk_ = disk_pages == 0 ? nullptr : disk;
  memory_pages_ = uint32_t(memory_pages);
  disk_pages_ = uint32_t(disk_pages);
  // Free lists are stacks; fill them so that page 0 and block 0 are used first.
  memory_free_count_ = memory_pages_;
  for (uint32_t i = 0; i < memory_pages_; ++i) memory_.memory_free[i] = memory_pages_ - 1 - i;
  disk_free_count_ = disk_pages_;
  for (uint32_t i = 0; i < disk_pages_; ++i) memory_.disk_free[i] = disk_pages_ - 1 - i;
  for (StoreSlot& slot : memory_.index) slot = {};
  for (StorePid& entry : pids_) entry = {};
  pid_count_ = spilled_ = refused_ = 0;
  return success();
}

size_t PageStore::home(uint64_t pid, uint64_t vaddr) const {
  return mix(pid, vaddr) & (memory_.index.size() - 1);
}

size_t PageStore::find(uint64_t pid, uint64_t vaddr) const {
  const size_t mask = memory_.index.size() - 1;
  for (size_t i = home(pid, vaddr);; i = (i + 1) & mask) {
    const StoreSlot& slot = memory_.index[i];
    if (slot.pid == 0) return memory_.index.size();
    if (slot.pid == pid && slot.vaddr == vaddr) return i;
  }
}

StorePid* PageStore::pid_entry(uint64_t pid) {
  for (StorePid& entry : pids_) {
    if (entry.pid == pid) return &entry;
  }
  return nullptr;
}

Result<uint32_t> PageStore::allocate(const char** reason) {
  if (memory_free_count_ > 0) return memory_.memory_free[--memory_free_count_];
  if (disk_free_count_ > 0) {
    ++spilled_;
    return memory_.disk_free[--disk_free_count_] | kOnDisk;
  }
  return Err(refuse(reason, Error::kOutOfMemory, "store full"));
}

void PageStore::release(uint32_t where) {
  if (where & kOnDisk) {
    memory_.disk_free[disk_free_count_++] = where & ~kOnDisk;
  } else {
    memory_.memory_free[memory_free_count_++] = where;
  }
}

Result<void> PageStore::write(uint32_t where, const uint8_t* page, const char** reason) {
  if (where & kOnDisk) {
    Result<void> written = disk_->write_page(where & ~kOnDisk, page);
    if (!written.ok()) return Err(refuse(reason, written.error(), "disk write failed"));
    return success();
  }
  __builtin_memcpy(memory_.pages.data() + size_t{where} * kPageBytes, page, kPageBytes);
  return success();
}

Result<void> PageStore::read(uint32_t where, uint8_t* page, const char** reason) {
  if (where & kOnDisk) {
    Result<void> got = disk_->read_page(where & ~kOnDisk, page);
    if (!got.ok()) return Err(refuse(reason, got.error(), "disk read failed"));
    return success();
  }
  __builtin_memcpy(page, memory_.pages.data() + size_t{where} * kPageBytes, kPageBytes);
  return success();
}

// Backward-shift deletion: later entries of the same probe run move up, so lookups never
// need tombstones.
void PageStore::erase(size_t slot) {
  const size_t mask = memory_.index.size() - 1;
  size_t hole = slot;
  for (size_t i = (slot + 1) & mask;; i = (i + 1) & mask) {
    StoreSlot& next = memory_.index[i];
    if (next.pid == 0) break;
    size_t want = home(next.pid, next.vaddr);
    // Move `next` into the hole unless its home lies cyclically in (hole, i].
    bool stays = hole <= i ? (want > hole && want <= i) : (want > hole || want <= i);
    if (stays) continue;
    memory_.index[hole] = next;
    hole = i;
  }
  memory_.index[hole] = {};
}

Result<uint32_t> PageStore::count_new(const PutRequest& put, const char** reason) {
  uint32_t added = 0;
  for (uint32_t i = 0; i < put.count; ++i) {
    if (find(put.pid, put.page(i).vaddr) == memory_.index.size()) ++added;
  }
  if (added > memory_free_count_ + disk_free_count_) {
    return Err(refuse(reason, Error::kOutOfMemory, "store full"));
  }
  if (added > 0 && pid_entry(put.pid) == nullptr && pid_count_ == kMaxPids) {
    return Err(refuse(reason, Error::kOutOfMemory, "too many processes"));
  }
  return added;
}

Result<PutReply> PageStore::put(const PutRequest& put, const char** reason) {
  Result<uint32_t> added = count_new(put, reason);
  if (!added.ok()) {
    ++refused_;
    return Err(added.error());
  }
  StorePid* owner = pid_entry(put.pid);
  if (owner == nullptr && *added > 0) {
    owner = pid_entry(0);  // a free entry exists: count_new checked
    *owner = {put.pid, 0};
    ++pid_count_;
  }
  PutReply reply{0, 0};
  for (uint32_t i = 0; i < put.count; ++i) {
    PageRef page = put.page(i);
    size_t slot = find(put.pid, page.vaddr);
    if (slot == memory_.index.size()) {
      uint32_t where = TRY(allocate(reason));
      if (Result<void> r = write(where, page.data, reason); !r.ok()) {
        release(where);
        return Err(r.error());
      }
      const size_t mask = memory_.index.size() - 1;
      for (slot = home(put.pid, page.vaddr); memory_.index[slot].pid != 0;
           slot = (slot + 1) & mask) {
      }
      memory_.index[slot] = {put.pid, page.vaddr, where, 0};
      ++owner->pages;
      ++reply.added;
    } else {
      TRY(write(memory_.index[slot].where, page.data, reason));
    }
    ++reply.stored;
  }
  return reply;
}

Result<uint64_t> PageStore::get(const GetRequest& get, uint8_t* out, const char** reason) {
  if (get.count == 0 || get.count > kMaxPagesPerRequest) {
    return Err(refuse(reason, Error::kInvalidArgument, "page count not 1 to 64"));
  }
  uint64_t present = 0;
  size_t copied = 0;
  for (uint32_t i = 0; i < get.count; ++i) {
    size_t slot = find(get.pid, get.vaddr + uint64_t{i} * kPageBytes);
    if (slot == memory_.index.size()) continue;
    TRY(read(memory_.index[slot].where, out + copied * kPageBytes, reason));
    ++copied;
    present |= uint64_t{1} << i;
  }
  return present;
}

uint64_t PageStore::drop(uint64_t pid) {
  StorePid* owner = pid_entry(pid);
  if (pid == 0 || owner == nullptr) return 0;
  uint64_t dropped = 0;
  // An erase may pull a later entry into slot i (never one not yet visited past the end:
  // entries only move backwards), so slot i is looked at again after each erase.
  for (size_t i = 0; i < memory_.index.size() && dropped < owner->pages;) {
    StoreSlot& slot = memory_.index[i];
    if (slot.pid != pid) {
      ++i;
      continue;
    }
    release(slot.where);
    erase(i);
    ++dropped;
  }
  *owner = {};
  --pid_count_;
  return dropped;
}

StoreStats PageStore::stats() const {
  StoreStats s{};
  s.memory_pages = memory_pages_ - memory_free_count_;
  s.disk_pages = disk_pages_ - disk_free_count_;
  s.bytes = (s.memory_pages + s.disk_pages) * kPageBytes;
  s.memory_capacity = memory_pages_;
  s.disk_capacity = disk_pages_;
  s.spilled = spilled_;
  s.refused = refused_;
  s.pids = pid_count_;
  return s;
}

}  // namespace atoll_os::servers::pagestore
