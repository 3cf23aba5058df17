// Tests of the servers' shared logic: image page copies, boot module lookup, region plans,
// ProcessStart arguments.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "lib/boot_modules.h"
#include "lib/image_pages.h"
#include "lib/layout.h"
#include "lib/region_plan.h"
#include "lib/start_arguments.h"

namespace atoll_os::servers {
namespace {

TEST(PageCopy, SegmentStartingMidPage) {
  FileBacking backing{0x401010, 0x1010, 0x2000};  // file bytes cover [0x401010, 0x403010)
  PageCopy first = page_copy(backing, 0x401000);
  EXPECT_EQ(first.page_offset, 0x10u);
  EXPECT_EQ(first.source_offset, 0x1010u);
  EXPECT_EQ(first.length, 0xff0u);
  PageCopy middle = page_copy(backing, 0x402000);
  EXPECT_EQ(middle.page_offset, 0u);
  EXPECT_EQ(middle.source_offset, 0x2000u);
  EXPECT_EQ(middle.length, 0x1000u);
  PageCopy last = page_copy(backing, 0x403000);
  EXPECT_EQ(last.page_offset, 0u);
  EXPECT_EQ(last.source_offset, 0x3000u);
  EXPECT_EQ(last.length, 0x10u);
}

TEST(PageCopy, BssPagesAndOutsidePagesAreAllZero) {
  FileBacking backing{0x406000, 0x6000, 0x78};
  EXPECT_EQ(page_copy(backing, 0x406000).length, 0x78u);
  EXPECT_EQ(page_copy(backing, 0x407000).length, 0u);  // .bss beyond the file bytes
  EXPECT_EQ(page_copy(backing, 0x405000).length, 0u);  // before the segment
  EXPECT_EQ(page_copy({0x406000, 0, 0}, 0x406000).length, 0u);
}

// A boot module table over host memory, as init sees the kernel's.
struct FakeBoot {
  abi::BootModuleTable table{};
  std::vector<std::vector<uint8_t>> bytes;

  void add(const char* name, std::vector<uint8_t> content) {
    bytes.push_back(std::move(content));
    abi::BootModuleEntry& entry = table.modules[table.count++];
    entry.address = reinterpret_cast<uint64_t>(bytes.back().data());
    entry.size = bytes.back().size();
    std::strncpy(entry.name, name, sizeof(entry.name) - 1);
  }
};

TEST(BootModules, FoundByExactName) {
  FakeBoot boot;
  boot.bytes.reserve(4);
  boot.add("mm", {1, 2, 3});
  boot.add("pm", {4, 5});
  boot.add("boot.manifest", {'m', '\n'});
  Result<Module> pm = find_module(boot.table, "pm");
  ASSERT_TRUE(pm.ok());
  EXPECT_EQ(pm->index, 1u);
  EXPECT_EQ(pm->bytes.size(), 2u);
  EXPECT_EQ(pm->bytes[0], 4);
  EXPECT_EQ(find_module(boot.table, "p").error(), Error::kNotFound);
  EXPECT_EQ(find_module(boot.table, "pmx").error(), Error::kNotFound);
  EXPECT_EQ(module_at(boot.table, 3).error(), Error::kNotFound);
}

TEST(BootModules, LyingCountAndUnterminatedNamesStayInBounds) {
  FakeBoot boot;
  boot.bytes.reserve(1);
  boot.add("x", {9});
  std::memset(boot.table.modules[0].name, 'a', sizeof(boot.table.modules[0].name));
  boot.table.count = 1000;
  EXPECT_EQ(module_count(boot.table), 31u);
  Result<Module> m = module_at(boot.table, 0);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->name.size(), sizeof(boot.table.modules[0].name));
  std::memset(boot.table.command_line, 'n', sizeof(boot.table.command_line));
  EXPECT_EQ(command_line(boot.table).size(), sizeof(boot.table.command_line));
}

TEST(RegionPlan, SegmentsThenHeapThenStack) {
  elf::Image image{};
  image.segments[0] = {0x400000, 0x5d79, 0x1000, 0x5d79, elf::kSegmentRead | elf::kSegmentExecute};
  image.segments[1] = {0x406000, 0x9aa, 0x7000, 0x9aa, elf::kSegmentRead};
  image.segments[2] = {0x407010, 0x1a2d, 0x8010, 0x1d8, elf::kSegmentRead | elf::kSegmentWrite};
  image.segment_count = 3;
  RegionPlan plan = plan_regions(42, image, 5);
  ASSERT_EQ(plan.count, 5u);
  EXPECT_EQ(plan.regions[0].flags, uint32_t{abi::kVmExecute});
  EXPECT_EQ(plan.regions[0].length, 0x6000u);
  EXPECT_EQ(plan.regions[1].flags, uint32_t{abi::kVmRead});
  const auto& data = plan.regions[2];
  EXPECT_EQ(data.start, 0x407000u);
  EXPECT_EQ(data.length, 0x2000u);  // 0x407010 + 0x1a2d rounds up to 0x409000
  EXPECT_EQ(data.data_vaddr, 0x407010u);
  EXPECT_EQ(data.data_offset, 0x8010u);
  EXPECT_EQ(data.data_size, 0x1d8u);
  EXPECT_EQ(data.flags, uint32_t{abi::kVmWrite});
  EXPECT_EQ(data.module, 5u);
  EXPECT_EQ(data.pid, 42u);
  EXPECT_EQ(plan.regions[3].start, abi::kUserHeapBase);
  EXPECT_EQ(plan.regions[3].kind, protocols::mm::RegionKind::kZero);
  EXPECT_EQ(plan.regions[4].start + plan.regions[4].length, abi::kUserStackTop);
  EXPECT_EQ(plan.regions[4].length, abi::kUserStackSize);
}

std::vector<std::string> split(const abi::ProcessStart& start) {
  std::vector<std::string> out;
  const char* p = start.arguments;
  for (uint32_t i = 0; i < start.argc; ++i) {
    out.emplace_back(p);
    p += out.back().size() + 1;
  }
  return out;
}

TEST(StartArguments, NameArgumentsThenCapabilities) {
  abi::ProcessStart start{};
  ArgumentWriter writer(start);
  ASSERT_TRUE(writer.add("memtouch").ok());
  const char packed[] =
      "16M\0"
      "100";
  ASSERT_TRUE(writer.add_packed(packed, sizeof(packed), 2).ok());
  ASSERT_TRUE(writer.add_capability("irq", 4096).ok());
  ASSERT_TRUE(writer.add_capability("x", 0).ok());
  EXPECT_EQ(split(start),
            (std::vector<std::string>{"memtouch", "16M", "100", "cap:irq=4096", "cap:x=0"}));
}

TEST(StartArguments, MalformedPackedBlocksAddNothing) {
  abi::ProcessStart start{};
  ArgumentWriter writer(start);
  const char two[] = "a\0b";  // 4 bytes: "a", "b"
  EXPECT_EQ(writer.add_packed(two, sizeof(two), 3).error(), Error::kInvalidArgument);
  EXPECT_EQ(writer.add_packed(two, sizeof(two) - 1, 2).error(), Error::kInvalidArgument);
  EXPECT_EQ(writer.add_packed(two, sizeof(two), 1).error(), Error::kInvalidArgument);
  EXPECT_EQ(start.argc, 0u);
  EXPECT_TRUE(writer.add_packed(two, 0, 0).ok());
  EXPECT_TRUE(writer.add_packed(two, sizeof(two), 2).ok());
  EXPECT_EQ(start.argc, 2u);
}

TEST(StartArguments, FullBlockIsOutOfRangeAndUnchanged) {
  abi::ProcessStart start{};
  ArgumentWriter writer(start);
  std::string big(sizeof(start.arguments) - 1, 'z');
  ASSERT_TRUE(writer.add(big).ok());
  EXPECT_EQ(writer.add("").error(), Error::kOutOfRange);
  EXPECT_EQ(start.argc, 1u);
  EXPECT_EQ(writer.used(), sizeof(start.arguments));
  EXPECT_EQ(writer.add(std::string_view("a\0b", 3)).error(), Error::kInvalidArgument);
}

TEST(ArgumentValue, FindsTheFirstKeyEqualsValueWord) {
  char name[] = "net", ip[] = "ip=10.77.0.1/24", ip2[] = "ip=1.2.3.4", ipx[] = "ipx=9",
       bare[] = "ip";
  char* argv[] = {name, ipx, bare, ip, ip2};
  EXPECT_EQ(argument_value(5, argv, "ip"), "10.77.0.1/24");
  EXPECT_EQ(argument_value(5, argv, "ipx"), "9");
  EXPECT_TRUE(argument_value(5, argv, "mac").empty());
  char* only_name[] = {ip};  // argv[0] is the program, never an argument
  EXPECT_TRUE(argument_value(1, only_name, "ip").empty());
}

TEST(SpawnArguments, PackedAsTheBuilderReadsThem) {
  protocols::pm::SpawnRequest request{};
  std::string_view arguments[] = {"16M", "", "x y"};
  ASSERT_TRUE(pack_spawn_arguments(arguments, 3, request).ok());
  EXPECT_EQ(request.argument_count, 3u);
  EXPECT_EQ(request.argument_bytes, 4u + 1u + 4u);
  abi::ProcessStart start{};
  ArgumentWriter writer(start);
  ASSERT_TRUE(
      writer.add_packed(request.arguments, request.argument_bytes, request.argument_count).ok());
  EXPECT_EQ(split(start), (std::vector<std::string>{"16M", "", "x y"}));

  std::string huge(sizeof(request.arguments), 'q');
  std::string_view too_long[] = {huge};
  EXPECT_EQ(pack_spawn_arguments(too_long, 1, request).error(), Error::kOutOfRange);
}

}  // namespace
}  // namespace atoll_os::servers
