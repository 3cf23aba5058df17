// Tests of mm: region checks, fault decisions, and the service over a fake kernel.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include "atoll/abi/process.h"
#include "mm/address_space.h"
#include "mm/memory_service.h"
#include "protocol_loopback.h"

namespace atoll_os::servers::mm {
namespace {

using protocols::Call;
using protocols::kSystemBadge;
using protocols::mm::RegionKind;
using protocols::mm::RegionRequest;

RegionRequest zero_region(uint64_t start, uint64_t length, uint32_t flags = abi::kVmWrite) {
  RegionRequest r{};
  r.pid = 9;
  r.start = start;
  r.length = length;
  r.flags = flags;
  r.kind = RegionKind::kZero;
  return r;
}

RegionRequest image_region(uint64_t start, uint64_t length, uint64_t data_vaddr,
                           uint64_t data_offset, uint64_t data_size, uint32_t flags) {
  RegionRequest r = zero_region(start, length, flags);
  r.kind = RegionKind::kImage;
  r.data_vaddr = data_vaddr;
  r.data_offset = data_offset;
  r.data_size = data_size;
  return r;
}

abi::PageFault fault_at(uint64_t address, uint32_t access = 0) {
  return abi::PageFault{address, 0x400000, access, 0};
}

TEST(AddressSpace, RejectsMalformedRegions) {
  AddressSpace space(9, 1, 100);
  EXPECT_EQ(space.add_region(zero_region(0x1000, 0), 0).error(), Error::kInvalidArgument);
  EXPECT_EQ(space.add_region(zero_region(0x1001, 0x1000), 0).error(), Error::kInvalidArgument);
  EXPECT_EQ(space.add_region(zero_region(0x1000, 0x800), 0).error(), Error::kInvalidArgument);
  EXPECT_EQ(space.add_region(zero_region(0x1000, 0x1000, abi::kVmUncached), 0).error(),
            Error::kInvalidArgument);
  RegionRequest bad_kind = zero_region(0x1000, 0x1000);
  bad_kind.kind = static_cast<RegionKind>(7);
  EXPECT_EQ(space.add_region(bad_kind, 0).error(), Error::kInvalidArgument);
  EXPECT_EQ(space.add_region(zero_region(0, 0x1000), 0).error(), Error::kOutOfRange);
  EXPECT_EQ(space.add_region(zero_region(abi::kUserSpaceEnd - 0x1000, 0x2000), 0).error(),
            Error::kOutOfRange);
  EXPECT_EQ(space.add_region(zero_region(0xfffffffffffff000, 0x2000), 0).error(),
            Error::kOutOfRange);  // wraps
  EXPECT_EQ(space.add_region(zero_region(abi::kProcessStartAddress, 0x1000), 0).error(),
            Error::kAlreadyExists);
  EXPECT_EQ(space.region_count(), 0u);
}

TEST(AddressSpace, RejectsOverlapsAndImageDataOutsideRegionOrModule) {
  AddressSpace space(9, 1, 100);
  ASSERT_TRUE(space.add_region(zero_region(0x10000, 0x4000), 0).ok());
  EXPECT_EQ(space.add_region(zero_region(0x13000, 0x1000), 0).error(), Error::kAlreadyExists);
  EXPECT_EQ(space.add_region(zero_region(0xf000, 0x2000), 0).error(), Error::kAlreadyExists);
  EXPECT_TRUE(space.add_region(zero_region(0x14000, 0x1000), 0).ok());  // adjacent is fine
  // Data beyond the region, data beyond the module, offset + size wrapping.
  EXPECT_EQ(space.add_region(image_region(0x20000, 0x1000, 0x20800, 0, 0x900, 0), 0x10000).error(),
            Error::kOutOfRange);
  EXPECT_EQ(
      space.add_region(image_region(0x20000, 0x1000, 0x20000, 0xf00, 0x200, 0), 0x1000).error(),
      Error::kOutOfRange);
  EXPECT_EQ(space.add_region(image_region(0x20000, 0x1000, 0x20000, ~0ull, 2, 0), 0x1000).error(),
            Error::kOutOfRange);
  EXPECT_TRUE(space.add_region(image_region(0x20000, 0x1000, 0x20010, 0x10, 0x100, 0), 0x200).ok());
}

TEST(AddressSpace, TableFillsUp) {
  AddressSpace space(9, 1, 100);
  for (size_t i = 0; i < kMaxRegions; ++i) {
    ASSERT_TRUE(space.add_region(zero_region(0x100000 + i * 0x1000, 0x1000), 0).ok());
  }
  EXPECT_EQ(space.add_region(zero_region(0x900000, 0x1000), 0).error(), Error::kOutOfMemory);
}

TEST(AddressSpace, FaultDecisions) {
  AddressSpace space(9, 1, 2);
  ASSERT_TRUE(
      space
          .add_region(image_region(0x400000, 0x2000, 0x400000, 0x1000, 0x1800, abi::kVmExecute),
                      0x10000)
          .ok());
  ASSERT_TRUE(space.add_region(zero_region(abi::kUserHeapBase, 0x10000), 0).ok());

  FaultDecision text = space.decide(fault_at(0x401234, abi::kFaultExecute));
  ASSERT_TRUE(text.resolve);
  EXPECT_EQ(text.plan.page, 0x401000u);
  EXPECT_TRUE(text.plan.from_module);
  EXPECT_EQ(text.plan.copy.source_offset, 0x2000u);
  EXPECT_EQ(text.plan.copy.length, 0x800u);
  EXPECT_EQ(text.plan.flags, uint32_t{abi::kVmExecute});

  FaultDecision heap = space.decide(fault_at(abi::kUserHeapBase + 8, abi::kFaultWrite));
  ASSERT_TRUE(heap.resolve);
  EXPECT_FALSE(heap.plan.from_module);

  EXPECT_EQ(space.decide(fault_at(0x401000, abi::kFaultWrite)).refusal, Refusal::kWriteToReadOnly);
  EXPECT_EQ(space.decide(fault_at(abi::kUserHeapBase, abi::kFaultExecute)).refusal,
            Refusal::kExecuteNonExecutable);
  EXPECT_EQ(space.decide(fault_at(0x402000)).refusal, Refusal::kNoRegion);
  EXPECT_EQ(space.decide(fault_at(0)).refusal, Refusal::kNoRegion);
  EXPECT_EQ(
      space.decide(fault_at(abi::kUserHeapBase, abi::kFaultPresent | abi::kFaultWrite)).refusal,
      Refusal::kProtection);

  space.note_resolved();
  space.note_resolved();
  EXPECT_EQ(space.decide(fault_at(abi::kUserHeapBase)).refusal, Refusal::kQuota);
}

// The kernel as mm sees it: pages per task, with their bytes.
class FakeMemoryKernel final : public MemoryKernel {
 public:
  Result<void> map_zeroed(abi::Handle task, uint64_t page, uint32_t) override {
    if (out_of_frames) return Err(Error::kOutOfMemory);
    auto key = std::make_pair(task, page);
    if (pages.count(key)) return Err(Error::kAlreadyExists);
    pages[key].assign(4096, 0);
    return success();
  }
  Result<void> map_copy(abi::Handle task, uint64_t page, uint32_t, const uint8_t* source,
                        const PageCopy& copy) override {
    auto key = std::make_pair(task, page);
    if (pages.count(key)) return Err(Error::kAlreadyExists);
    std::vector<uint8_t>& bytes = pages[key];
    bytes.assign(4096, 0);
    std::memcpy(bytes.data() + copy.page_offset, source + copy.source_offset, copy.length);
    return success();
  }
  void close(abi::Handle handle) override { closed.push_back(handle); }
  Result<abi::MemoryInfo> memory_info() override { return abi::MemoryInfo{100, 60, 30, 5}; }

  std::map<std::pair<abi::Handle, uint64_t>, std::vector<uint8_t>> pages;
  std::vector<abi::Handle> closed;
  bool out_of_frames = false;
};

class MemoryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    image_.resize(0x3000);
    for (size_t i = 0; i < image_.size(); ++i) image_[i] = static_cast<uint8_t>(i * 7);
    table_.count = 1;
    table_.modules[0].address = reinterpret_cast<uint64_t>(image_.data());
    table_.modules[0].size = image_.size();
    std::strcpy(table_.modules[0].name, "hello");
  }

  Call system_call(abi::Handle task = abi::kNoHandle) {
    Call call;
    call.badge = kSystemBadge;
    if (task != abi::kNoHandle) call.received.add(task);
    return call;
  }

  abi::Message fault_message(uint64_t pid, uint64_t address, uint32_t access) {
    abi::Message message{};
    message.header.label = abi::kLabelPageFault;
    message.header.badge = pid;
    message.header.length = sizeof(abi::PageFault);
    abi::PageFault fault = fault_at(address, access);
    std::memcpy(message.payload, &fault, sizeof(fault));
    return message;
  }

  std::vector<uint8_t> image_;
  abi::BootModuleTable table_{};
  FakeMemoryKernel kernel_;
  MemoryService service_{kernel_, &table_};
};

TEST_F(MemoryServiceTest, OnlyTheSystemBadgeMayDescribeSpaces) {
  Call call;
  call.badge = 12;  // an ordinary process
  call.received.add(50);
  EXPECT_EQ(service_.create_space({12, 0}, call).error(), Error::kAccessDenied);
  EXPECT_EQ(call.received.count, 1u);
  EXPECT_EQ(call.received.values[0], 50u);  // not taken: the loop closes it
  EXPECT_EQ(service_.space_count(), 0u);
  EXPECT_EQ(service_.stats({}, call).error(), Error::kAccessDenied);
}

TEST_F(MemoryServiceTest, ImagePagesComeFromTheModuleAndZeroPagesAreZero) {
  Call create = system_call(50);
  ASSERT_TRUE(service_.create_space({9, 0}, create).ok());
  EXPECT_EQ(create.received.values[0], abi::kNoHandle);  // taken
  Call add = system_call();
  RegionRequest text = image_region(0x400000, 0x2000, 0x400010, 0x1010, 0x1800, abi::kVmExecute);
  ASSERT_TRUE(service_.add_region(text, add).ok());
  ASSERT_TRUE(service_.add_region(zero_region(abi::kUserHeapBase, 0x100000), add).ok());

  abi::Message message = fault_message(9, 0x400020, abi::kFaultExecute);
  FaultOutcome outcome = service_.handle_fault(message);
  EXPECT_TRUE(outcome.resolved);
  EXPECT_EQ(message.header.label, abi::kLabelFaultResolved);
  const std::vector<uint8_t>& page = kernel_.pages[{50, 0x400000}];
  ASSERT_EQ(page.size(), 4096u);
  EXPECT_EQ(page[0xf], 0);
  EXPECT_EQ(page[0x10], image_[0x1010]);
  EXPECT_EQ(page[0xfff], image_[0x1010 + 0xfef]);

  message = fault_message(9, 0x401ff0, abi::kFaultExecute);
  ASSERT_TRUE(service_.handle_fault(message).resolved);
  const std::vector<uint8_t>& second = kernel_.pages[{50, 0x401000}];
  EXPECT_EQ(second[0x80f], image_[0x1010 + 0x17ff]);  // last file byte
  EXPECT_EQ(second[0x810], 0);                        // beyond the file size

  message = fault_message(9, abi::kUserHeapBase + 0x5000, abi::kFaultWrite);
  ASSERT_TRUE(service_.handle_fault(message).resolved);
  EXPECT_EQ(kernel_.pages.count({50, abi::kUserHeapBase + 0x5000}), 1u);

  Call info_call = system_call();
  Result<protocols::mm::SpaceInfo> info = service_.space_info({9}, info_call);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->resident_pages, 3u);
  EXPECT_EQ(info->faults_resolved, 3u);
  EXPECT_EQ(info->region_count, 2u);
}

TEST_F(MemoryServiceTest, RefusedFaultsAreCountedAndReplyRefused) {
  Call create = system_call(50);
  ASSERT_TRUE(service_.create_space({9, 0}, create).ok());
  abi::Message outside = fault_message(9, 0x1234, 0);
  FaultOutcome outcome = service_.handle_fault(outside);
  EXPECT_FALSE(outcome.resolved);
  EXPECT_STREQ(outcome.reason, "no region");
  EXPECT_EQ(outside.header.label, abi::kLabelFaultRefused);

  abi::Message stranger = fault_message(77, 0x1234, 0);  // a badge mm has no space for
  EXPECT_FALSE(service_.handle_fault(stranger).resolved);
  EXPECT_EQ(stranger.header.label, abi::kLabelFaultRefused);

  abi::Message garbled = fault_message(9, 0x1234, 0);
  garbled.header.length = 3;
  EXPECT_FALSE(service_.handle_fault(garbled).resolved);

  Call info_call = system_call();
  EXPECT_EQ(service_.space_info({9}, info_call)->last_refused_address, 0x1234u);
  Result<protocols::mm::Stats> stats = service_.stats({}, info_call);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->faults_refused, 3u);
  EXPECT_EQ(stats->kernel.total_frames, 100u);
}

TEST_F(MemoryServiceTest, OutOfFramesRefusesTheFaultAndARaceResolvesIt) {
  Call create = system_call(50);
  ASSERT_TRUE(service_.create_space({9, 0}, create).ok());
  Call add = system_call();
  ASSERT_TRUE(service_.add_region(zero_region(abi::kUserHeapBase, 0x10000), add).ok());
  ASSERT_TRUE(service_.add_region(image_region(0x400000, 0x1000, 0x400000, 0, 0x10, 0), add).ok());
  kernel_.out_of_frames = true;
  abi::Message message = fault_message(9, abi::kUserHeapBase, abi::kFaultWrite);
  FaultOutcome outcome = service_.handle_fault(message);
  EXPECT_FALSE(outcome.resolved);
  EXPECT_STREQ(outcome.reason, "out_of_memory");
  // Two threads fault on one image page: the second finds it mapped and just retries.
  kernel_.pages[{50, 0x400000}].assign(4096, 1);
  message = fault_message(9, 0x400000, 0);
  EXPECT_TRUE(service_.handle_fault(message).resolved);
  Call info_call = system_call();
  EXPECT_EQ(service_.space_info({9}, info_call)->resident_pages, 0u);
}

TEST_F(MemoryServiceTest, SpacesAreUniqueBoundedAndForgotten) {
  Call create = system_call(50);
  ASSERT_TRUE(service_.create_space({9, 0}, create).ok());
  Call again = system_call(51);
  EXPECT_EQ(service_.create_space({9, 0}, again).error(), Error::kAlreadyExists);
  Call no_task = system_call();
  EXPECT_EQ(service_.create_space({10, 0}, no_task).error(), Error::kInvalidArgument);

  Call destroy = system_call();
  ASSERT_TRUE(service_.destroy_space({9}, destroy).ok());
  EXPECT_EQ(kernel_.closed, std::vector<abi::Handle>{50});
  EXPECT_EQ(service_.destroy_space({9}, destroy).error(), Error::kNotFound);
  abi::Message message = fault_message(9, abi::kUserHeapBase, 0);
  EXPECT_FALSE(service_.handle_fault(message).resolved);

  for (uint64_t pid = 100; pid < 100 + kMaxSpaces; ++pid) {
    Call c = system_call(static_cast<abi::Handle>(pid));
    ASSERT_TRUE(service_.create_space({pid, 0}, c).ok()) << pid;
  }
  Call full = system_call(7);
  EXPECT_EQ(service_.create_space({1, 0}, full).error(), Error::kOutOfMemory);
}

TEST_F(MemoryServiceTest, ImageRegionNamingAMissingModuleIsRefused) {
  Call create = system_call(50);
  ASSERT_TRUE(service_.create_space({9, 0}, create).ok());
  RegionRequest region = image_region(0x400000, 0x1000, 0x400000, 0, 0x10, 0);
  region.module = 3;
  Call add = system_call();
  EXPECT_EQ(service_.add_region(region, add).error(), Error::kOutOfRange);
  region.pid = 1234;
  region.module = 0;
  EXPECT_EQ(service_.add_region(region, add).error(), Error::kNotFound);
}

TEST_F(MemoryServiceTest, ProtocolClientToDispatch) {
  protocols::testing::loopback_server = [this](abi::Message& message) {
    message.header.badge = kSystemBadge;  // what pm's handle carries
    protocols::Call call;
    protocols::testing::serve_once(message, call, [this](abi::Message& m, protocols::Call& c) {
      return protocols::mm::dispatch(service_, m, c);
    });
  };
  protocols::mm::Client client(1);
  protocols::HandleSet handles;
  handles.add(60);
  ASSERT_TRUE(client.create_space({5, 10}, &handles).ok()) << client.last_reason();
  RegionRequest heap = zero_region(abi::kUserHeapBase, 0x1000);
  heap.pid = 5;
  ASSERT_TRUE(client.add_region(heap).ok()) << client.last_reason();
  Result<protocols::Empty> refused = client.add_region(heap);
  EXPECT_EQ(refused.error(), Error::kAlreadyExists);
  EXPECT_STREQ(client.last_reason(), "region refused");
  EXPECT_EQ(client.add_region(zero_region(abi::kUserHeapBase, 0x1000)).error(),
            Error::kNotFound);  // zero_region is for pid 9, which has no space
  Result<protocols::mm::SpaceInfo> info = client.space_info({5});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->page_quota, 10u);
  protocols::testing::loopback_server = nullptr;
}

}  // namespace
}  // namespace atoll_os::servers::mm
