// Turning a parsed executable into mm regions.
#include "region_plan.h"

#include "layout.h"

namespace atoll_os::servers {
namespace {

using protocols::mm::RegionKind;
using protocols::mm::RegionRequest;

RegionRequest zero_region(uint64_t pid, uint64_t start, uint64_t end) {
  RegionRequest region{};
  region.pid = pid;
  region.start = start;
  region.length = end - start;
  region.flags = abi::kVmWrite;
  region.kind = RegionKind::kZero;
  return region;
}

}  // namespace

uint32_t vm_flags_of_segment(uint32_t segment_flags) {
  uint32_t flags = abi::kVmRead;
  if (segment_flags & elf::kSegmentWrite) flags |= abi::kVmWrite;
  if (segment_flags & elf::kSegmentExecute) flags |= abi::kVmExecute;
  return flags;
}

RegionPlan plan_regions(uint64_t pid, const elf::Image& image, uint32_t module) {
  RegionPlan plan{};
  for (const elf::Segment& segment : image.segment_list()) {
    RegionRequest& region = plan.regions[plan.count++];
    region.pid = pid;
    region.start = page_floor(segment.vaddr);
    region.length = page_ceil(segment.vaddr + segment.memory_size) - region.start;
    region.data_vaddr = segment.vaddr;
    region.data_offset = segment.file_offset;
    region.data_size = segment.file_size;
    region.flags = vm_flags_of_segment(segment.flags);
    region.kind = RegionKind::kImage;
    region.module = module;
  }
  plan.regions[plan.count++] = zero_region(pid, abi::kUserHeapBase, abi::kUserHeapLimit);
  plan.regions[plan.count++] =
      zero_region(pid, abi::kUserStackTop - abi::kUserStackSize, abi::kUserStackTop);
  return plan;
}

}  // namespace atoll_os::servers
