// The page store's bookkeeping: pages keyed by (PID, address) in memory up to a bound, spilled
// to a disk beyond it, every page and process counted. Portable: the disk is an interface.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "../lib/pagestore_wire.h"
#include "atoll/result.h"

namespace atoll_os::servers::pagestore {

/// Whole pages on a block device, addressed by page-sized block number.
class PageDisk {
 public:
  /// How many pages the disk holds.
  virtual uint32_t blocks() const = 0;
  virtual Result<void> write_page(uint32_t block, const uint8_t* page) = 0;
  virtual Result<void> read_page(uint32_t block, uint8_t* page) = 0;

 protected:
  ~PageDisk() = default;
};

/// One entry of the open-addressed index.
struct StoreSlot {
  uint64_t pid;  // 0: empty
  uint64_t vaddr;
  uint32_t where;  // a memory page index, or a disk block with kOnDisk set
  uint32_t reserved;
};

/// One process with pages held, and how many.
struct StorePid {
  uint64_t pid;  // 0: free
  uint64_t pages;
};

inline constexpr uint32_t kMaxMemoryPages = 1u << 20;  // 4 GiB
inline constexpr uint32_t kMaxDiskPages = 1u << 20;    // 4 GiB
inline constexpr size_t kMaxPids = 256;
inline constexpr uint32_t kOnDisk = 1u << 31;

/// Index slots for a store of `memory_pages + disk_pages`: a power of two at least twice
/// that, so that probes stay short.
size_t index_slots_for(uint32_t memory_pages, uint32_t disk_pages);

/// The memory a store works in, all of it given by the caller (the server: its heap).
struct StoreMemory {
  std::span<uint8_t> pages;         // memory_pages * kPageBytes
  std::span<uint32_t> memory_free;  // memory_pages entries
  std::span<uint32_t> disk_free;    // one per disk block used (may be empty)
  std::span<StoreSlot> index;       // index_slots_for(...) entries
};

/// Not thread-safe: the server holds its lock around every call.
class PageStore {
 public:
  /// Memory bound = memory.pages.size() / kPageBytes pages. With `disk` (may be null), pages
  /// beyond it go to the disk, at most min(disk->blocks(), memory.disk_free.size()) of them.
  /// kInvalidArgument if the pieces do not agree in size or exceed the limits above.
  Result<void> init(StoreMemory memory, PageDisk* disk);

  /// Stores every page of `put`, or none if they do not all fit: kOutOfMemory ("store full"),
  /// or ("too many processes") for a new PID with kMaxPids held. A page already held is
  /// overwritten where it is. New pages go to memory while it has room, then to the disk.
  /// A disk error part-way leaves the pages before it stored (and the error returned).
  Result<PutReply> put(const PutRequest& put, const char** reason);

  /// Copies the held pages of the run into `out` back to back (at most get.count pages) and
  /// returns the bitmap of those held (bit i: page i of the run).
  Result<uint64_t> get(const GetRequest& get, uint8_t* out, const char** reason);

  /// Forgets every page of `pid`; returns how many there were.
  uint64_t drop(uint64_t pid);

  StoreStats stats() const;
  uint32_t memory_capacity() const { return memory_pages_; }
  uint32_t disk_capacity() const { return disk_pages_; }

 private:
  size_t find(uint64_t pid, uint64_t vaddr) const;  // the slot, or index_.size() if absent
  size_t home(uint64_t pid, uint64_t vaddr) const;
  StorePid* pid_entry(uint64_t pid);
  Result<uint32_t> allocate(const char** reason);
  void release(uint32_t where);
  Result<void> write(uint32_t where, const uint8_t* page, const char** reason);
  Result<void> read(uint32_t where, uint8_t* page, const char** reason);
  void erase(size_t slot);
  Result<uint32_t> count_new(const PutRequest& put, const char** reason);

  StoreMemory memory_ = {};
  PageDisk* disk_ = nullptr;
  uint32_t memory_pages_ = 0;
  uint32_t disk_pages_ = 0;
  uint32_t memory_free_count_ = 0;
  uint32_t disk_free_count_ = 0;
  StorePid pids_[kMaxPids] = {};
  uint64_t pid_count_ = 0;
  uint64_t spilled_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace atoll_os::servers::pagestore
