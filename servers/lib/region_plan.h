// The regions of a new process for mm: its image segments, heap and stack.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/process.h"
#include "atoll/elf.h"
#include "atoll/protocols/mm.h"

namespace atoll_os::servers {

/// Where an executable may place its segments: between the image base and the heap, at
/// most 256 MiB of them (a bound on what one spawn can make mm promise).
inline constexpr elf::Limits kImageLimits{abi::kUserImageBase, abi::kUserHeapBase,
                                          256ull * 1024 * 1024};

inline constexpr size_t kMaxPlannedRegions = elf::kMaxSegments + 2;

struct RegionPlan {
  protocols::mm::RegionRequest regions[kMaxPlannedRegions];
  size_t count;
};

/// abi::VmFlags for a segment's elf::kSegment* permissions (read is implied).
uint32_t vm_flags_of_segment(uint32_t segment_flags);

/// One kImage region per segment (page-rounded; bytes from module `module`), then the
/// demand-zero heap [kUserHeapBase, kUserHeapLimit) and stack below kUserStackTop.
RegionPlan plan_regions(uint64_t pid, const elf::Image& image, uint32_t module);

}  // namespace atoll_os::servers
