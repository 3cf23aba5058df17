// Boot benchmark summary: medians and the results.json layout.
#include "hostlib/boot_bench.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

TEST(BootBenchTest, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(median({}), 0);
  EXPECT_EQ(median({5}), 5);
  EXPECT_EQ(median({9, 1, 5}), 5);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
}

TEST(BootBenchTest, SummaryTakesMediansPerMeasurement) {
  BootBenchResult r = summarize("tcg", {{100, 400}, {300, 200}, {200, 300}});
  EXPECT_EQ(r.banner_ms, 200);
  EXPECT_EQ(r.boot_complete_ms, 300);
  EXPECT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.accel, "tcg");
}

TEST(BootBenchTest, JsonHasTheAgreedKeys) {
  const std::string json = boot_bench_json(summarize("kvm", {{812.25, 1033.5}}));
  EXPECT_NE(json.find("\"banner_ms\": 812.2"), std::string::npos) << json;
  EXPECT_NE(json.find("\"boot_complete_ms\": 1033.5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"runs\": 1,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"accel\": \"kvm\""), std::string::npos) << json;
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.substr(json.size() - 2), "}\n");
}

TEST(BootBenchTest, WriteCreatesTheDirectoryAndFile) {
  TempDir dir;
  auto file = write_boot_bench(summarize("tcg", {{1, 2}}), dir.path() / "bench" / "boot");
  ASSERT_TRUE(is_ok(file));
  EXPECT_EQ(*file, dir.path() / "bench" / "boot" / "results.json");
  std::ifstream in(*file);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), boot_bench_json(summarize("tcg", {{1, 2}})));
}

}  // namespace
}  // namespace atoll_os::host::testing
