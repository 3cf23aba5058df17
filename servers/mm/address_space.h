// One process's address space as mm sees it: its regions, resident pages and fault counts.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../lib/image_pages.h"
#include "atoll/abi/syscalls.h"
#include "atoll/protocols/mm.h"
#include "atoll/result.h"

namespace atoll_os::servers::mm {

inline constexpr size_t kMaxRegions = 24;  // an image's segments, heap, stack, and spare

struct Region {
  uint64_t start;  // page-aligned
  uint64_t end;    // page-aligned, exclusive
  uint32_t flags;  // abi::VmFlags
  protocols::mm::RegionKind kind;
  uint32_t module;      // kImage
  FileBacking backing;  // kImage
};

/// Why mm refuses a page fault (the process is then killed).
enum class Refusal {
  kNoRegion,              // the address lies in no region
  kWriteToReadOnly,       // a write to a region without kVmWrite
  kExecuteNonExecutable,  // an instruction fetch from a region without kVmExecute
  kProtection,            // the page is present: a permission violation, not a missing page
  kQuota,                 // the space already holds its quota of pages
};
const char* refusal_name(Refusal refusal);

/// How to resolve one fault: map `page` with `flags`, zero-filled, with `copy` from module
/// `module` when from_module.
struct FaultPlan {
  uint64_t page;
  uint32_t flags;
  bool from_module;
  uint32_t module;
  PageCopy copy;
};

/// Either a plan or the reason for refusing.
struct FaultDecision {
  bool resolve;
  FaultPlan plan;
  Refusal refusal;
};

class AddressSpace {
 public:
  AddressSpace() = default;
  AddressSpace(uint64_t pid, abi::Handle task, uint64_t page_quota)
      : pid_(pid), task_(task), page_quota_(page_quota) {}

  /// Adds a region after checking it: page-aligned, non-empty, inside user space, clear of
  /// the ProcessStart page and of every other region; for kImage, its data inside the region
  /// and inside a module of `module_size` bytes. Errors: kInvalidArgument, kAlreadyExists
  /// (overlap), kOutOfRange (outside user space or the module), kOutOfMemory (table full).
  Result<void> add_region(const protocols::mm::RegionRequest& request, uint64_t module_size);

  /// The region holding `address`, or nullptr.
  const Region* find(uint64_t address) const;

  /// Decides a fault at `fault.address`; does not change the space.
  FaultDecision decide(const abi::PageFault& fault) const;

  void note_resolved() {
    ++resident_pages_;
    ++faults_resolved_;
  }
  void note_refused(uint64_t address) {
    ++faults_refused_;
    last_refused_address_ = address;
  }
  /// Whether `pages` more resident pages stay within the quota.
  bool has_room(uint64_t pages) const {
    return resident_pages_ <= page_quota_ && pages <= page_quota_ - resident_pages_;
  }
  /// Counts pages installed by a received migration slice (not faults).
  void note_received(uint64_t pages) { resident_pages_ += pages; }
  /// Counts a fault resolved by pages that came from elsewhere (counted by note_received).
  void note_fault_resolved() { ++faults_resolved_; }

  uint64_t pid() const { return pid_; }
  abi::Handle task() const { return task_; }
  size_t region_count() const { return region_count_; }
  const Region& region(size_t index) const { return regions_[index]; }
  uint64_t page_quota() const { return page_quota_; }
  uint64_t resident_pages() const { return resident_pages_; }
  protocols::mm::SpaceInfo info() const;

 private:
  uint64_t pid_ = 0;
  abi::Handle task_ = abi::kNoHandle;
  uint64_t page_quota_ = 0;
  uint64_t resident_pages_ = 0;
  uint64_t faults_resolved_ = 0;
  uint64_t faults_refused_ = 0;
  uint64_t last_refused_address_ = 0;
  Region regions_[kMaxRegions] = {};
  size_t region_count_ = 0;
};

}  // namespace atoll_os::servers::mm
