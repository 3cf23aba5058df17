// mm's request handlers and page-fault path over a table of address spaces; the kernel is
// reached through MemoryKernel so that host tests can run all of it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "address_space.h"
#include "atoll/abi/syscalls.h"
#include "atoll/protocols/mm.h"

namespace atoll_os::servers::mm {

inline constexpr size_t kMaxSpaces = 256;
inline constexpr uint64_t kDefaultPageQuota = 16384;  // 64 MiB per process unless pm says

/// The system calls mm's logic needs.
class MemoryKernel {
 public:
  /// Maps a fresh zeroed page at `page` of `task`.
  virtual Result<void> map_zeroed(abi::Handle task, uint64_t page, uint32_t flags) = 0;
  /// Maps a fresh page at `page` of `task` holding source[copy.source_offset, +length) at
  /// copy.page_offset and zeros elsewhere; the task never sees it half-filled.
  virtual Result<void> map_copy(abi::Handle task, uint64_t page, uint32_t flags,
                                const uint8_t* source, const PageCopy& copy) = 0;
  virtual void close(abi::Handle handle) = 0;
  virtual Result<abi::MemoryInfo> memory_info() = 0;

 protected:
  ~MemoryKernel() = default;
};

/// What became of one page fault, for the log.
struct FaultOutcome {
  bool resolved;
  uint64_t pid;
  uint64_t address;
  const char* reason;  // when refused
};

class MemoryService {
 public:
  /// `modules`: the boot module table (image bytes come from it); nullptr: no modules.
  MemoryService(MemoryKernel& kernel, const abi::BootModuleTable* modules)
      : kernel_(kernel), modules_(modules) {}

  // Protocol handlers (protocols::mm::dispatch); every one is for the system badge only.
  Result<protocols::Empty> create_space(const protocols::mm::CreateSpaceRequest& request,
                                        protocols::Call& call);
  Result<protocols::Empty> add_region(const protocols::mm::RegionRequest& request,
                                      protocols::Call& call);
  Result<protocols::mm::DestroyReply> destroy_space(const protocols::mm::PidRequest& request,
                                                    protocols::Call& call);
  Result<protocols::mm::SpaceInfo> space_info(const protocols::mm::PidRequest& request,
                                              protocols::Call& call);
  Result<protocols::mm::Stats> stats(const protocols::Empty& request, protocols::Call& call);

  /// Answers a kernel page-fault message in place (label kLabelFaultResolved or
  /// kLabelFaultRefused, no payload). The badge names the space.
  FaultOutcome handle_fault(abi::Message& message);

  size_t space_count() const { return space_count_; }

 private:
  AddressSpace* find(uint64_t pid);
  Result<void> resolve(AddressSpace& space, const FaultPlan& plan);
  uint64_t module_size(uint32_t index) const;

  MemoryKernel& kernel_;
  const abi::BootModuleTable* modules_;
  AddressSpace spaces_[kMaxSpaces];
  bool used_[kMaxSpaces] = {};
  size_t space_count_ = 0;
  uint64_t faults_resolved_ = 0;
  uint64_t faults_refused_ = 0;
};

}  // namespace atoll_os::servers::mm
