// Region checks and fault decisions of one address space.
#include "address_space.h"

#include "../lib/layout.h"
#include "atoll/abi/process.h"

namespace atoll_os::servers::mm {
namespace {

using protocols::mm::RegionKind;
using protocols::mm::RegionRequest;

constexpr uint32_t kAllowedFlags = abi::kVmWrite | abi::kVmExecute;

bool aligned(uint64_t value) {
  return value % kPageSize == 0;
}

bool overlaps(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end) {
  return a_start < b_end && b_start < a_end;
}

// The kImage fields: data inside the region and inside the module.
Result<void> check_backing(const RegionRequest& request, uint64_t end, uint64_t module_size) {
  uint64_t data_end;
  if (__builtin_add_overflow(request.data_vaddr, request.data_size, &data_end)) {
    return Err(Error::kOutOfRange);
  }
  if (request.data_vaddr < request.start || data_end > end) return Err(Error::kOutOfRange);
  uint64_t source_end;
  if (__builtin_add_overflow(request.data_offset, request.data_size, &source_end) ||
      source_end > module_size) {
    return Err(Error::kOutOfRange);
  }
  return success();
}

}  // namespace

const char* refusal_name(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNoRegion: return "no region";
    case Refusal::kWriteToReadOnly: return "write to a read-only region";
    case Refusal::kExecuteNonExecutable: return "execute in a non-executable region";
    case Refusal::kProtection: return "protection violation on a present page";
    case Refusal::kQuota: return "page quota exhausted";
  }
  return "refused";
}

Result<void> AddressSpace::add_region(const RegionRequest& request, uint64_t module_size) {
  if (request.length == 0 || !aligned(request.start) || !aligned(request.length) ||
      (request.flags & ~kAllowedFlags) != 0 ||
      (request.kind != RegionKind::kZero && request.kind != RegionKind::kImage)) {
    return Err(Error::kInvalidArgument);
  }
  uint64_t end;
  if (__builtin_add_overflow(request.start, request.length, &end) || request.start < kPageSize ||
      end > abi::kUserSpaceEnd) {
    return Err(Error::kOutOfRange);
  }
  if (overlaps(request.start, end, abi::kProcessStartAddress,
               abi::kProcessStartAddress + kPageSize)) {
    return Err(Error::kAlreadyExists);  // pm maps that page itself
  }
  if (request.kind == RegionKind::kImage) TRY(check_backing(request, end, module_size));
  for (size_t i = 0; i < region_count_; ++i) {
    if (overlaps(request.start, end, regions_[i].start, regions_[i].end)) {
      return Err(Error::kAlreadyExists);
    }
  }
  if (region_count_ == kMaxRegions) return Err(Error::kOutOfMemory);
  regions_[region_count_++] = {
      request.start,  end,
      request.flags,  request.kind,
      request.module, {request.data_vaddr, request.data_offset, request.data_size}};
  return success();
}

const Region* AddressSpace::find(uint64_t address) const {
  for (size_t i = 0; i < region_count_; ++i) {
    if (address >= regions_[i].start && address < regions_[i].end) return &regions_[i];
  }
  return nullptr;
}

FaultDecision AddressSpace::decide(const abi::PageFault& fault) const {
  auto refuse = [](Refusal why) { return FaultDecision{false, {}, why}; };
  // A present page that faults was accessed against its permissions; mm maps missing pages
  // only (no copy-on-write yet).
  if (fault.access & abi::kFaultPresent) return refuse(Refusal::kProtection);
  const Region* region = find(fault.address);
  if (region == nullptr) return refuse(Refusal::kNoRegion);
  if ((fault.access & abi::kFaultWrite) && !(region->flags & abi::kVmWrite)) {
    return refuse(Refusal::kWriteToReadOnly);
  }
  if ((fault.access & abi::kFaultExecute) && !(region->flags & abi::kVmExecute)) {
    return refuse(Refusal::kExecuteNonExecutable);
  }
  if (resident_pages_ >= page_quota_) return refuse(Refusal::kQuota);
  FaultPlan plan{page_floor(fault.address), region->flags, false, 0, {0, 0, 0}};
  if (region->kind == protocols::mm::RegionKind::kImage) {
    plan.copy = page_copy(region->backing, plan.page);
    plan.from_module = plan.copy.length != 0;
    plan.module = region->module;
  }
  return {true, plan, Refusal::kNoRegion};
}

protocols::mm::SpaceInfo AddressSpace::info() const {
  protocols::mm::SpaceInfo info{};
  info.resident_pages = resident_pages_;
  info.page_quota = page_quota_;
  info.faults_resolved = faults_resolved_;
  info.faults_refused = faults_refused_;
  info.last_refused_address = last_refused_address_;
  info.region_count = static_cast<uint32_t>(region_count_);
  return info;
}

}  // namespace atoll_os::servers::mm
