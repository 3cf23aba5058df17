// The network benchmark's pure parts: result lines of finished runs, rates and results.json.
#include "hostlib/net_bench.h"

#include <fstream>
#include <sstream>

#include "hostlib/json.h"
#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

ProgramRun finished(std::vector<std::string> lines, ProgramExit exit = {"exited", 0}) {
  return ProgramRun{
      .command_line = "netbench x", .pid = 12, .lines = std::move(lines), .exit = std::move(exit)};
}

TEST(NetBenchTest, ResultLineIsTheLastLineWithThePrefix) {
  auto line = result_line(finished({"netbench: udp-rtt samples=1 median_us=9.000", "netbench: note",
                                    "netbench: udp-rtt samples=200 median_us=812.250"}),
                          "netbench: udp-rtt ");
  ASSERT_TRUE(is_ok(line));
  EXPECT_EQ(line->unsigned_at("samples").value(), 200u);
  EXPECT_DOUBLE_EQ(line->decimal_at("median_us").value(), 812.25);
}

TEST(NetBenchTest, ResultLineFailsForAFailedRunOrAMissingLineQuotingTheOutput) {
  auto failed =
      result_line(finished({"netbench: error stream failed after 5 bytes: reset"}, {"exited", 1}),
                  "netbench: tcp-send ");
  ASSERT_EQ(failed.error(), Error::kBadFormat);
  EXPECT_NE(failed.failure().message.find("'netbench x' (pid 12) exited with 1"), std::string::npos)
      << failed.failure().message;
  EXPECT_NE(failed.failure().message.find("| netbench: error stream failed"), std::string::npos)
      << failed.failure().message;

  // The prefix must start the line, not merely occur in it.
  auto missing = result_line(finished({"x netbench: tcp-send bytes=1"}), "netbench: tcp-send ");
  ASSERT_EQ(missing.error(), Error::kBadFormat);
  EXPECT_NE(missing.failure().message.find("no line starting"), std::string::npos);

  auto faulted =
      result_line(finished({"netbench: tcp-send bytes=1"}, {"faulted", 0}), "netbench: tcp-send ");
  EXPECT_EQ(faulted.error(), Error::kBadFormat);
}

TEST(NetBenchTest, MibPerSecond) {
  EXPECT_DOUBLE_EQ(mib_per_s(64ull << 20, 2'000'000'000), 32.0);
  EXPECT_DOUBLE_EQ(mib_per_s(1 << 20, 500'000'000), 2.0);
  EXPECT_DOUBLE_EQ(mib_per_s(1514, 0), 0.0);
}

NetBenchResult sample_result() {
  NetBenchResult r;
  r.accel = "tcg";
  r.tcp_runs_mib_per_s = {5.5, 4.25, 6.0};
  r.tcp_mib_per_s = 5.5;
  r.udp_rtt_us = 812.26;
  r.udp_rtt_samples = 200;
  r.tcp_rtt_us = 1034.5;
  r.raw_frames_mib_per_s = 20.126;
  r.raw = {.sent = 20000, .received = 19990, .received_bytes = 19990ull * 1514, .span_ns = 1};
  return r;
}

TEST(NetBenchTest, JsonHasTheTrackedKeys) {
  auto json = parse_json(net_bench_json(sample_result()));
  ASSERT_TRUE(is_ok(json));
  EXPECT_DOUBLE_EQ(json->find("tcp_mib_per_s")->as_double().value(), 5.5);
  EXPECT_DOUBLE_EQ(json->find("raw_frames_mib_per_s")->as_double().value(), 20.13);
  EXPECT_DOUBLE_EQ(json->find("udp_rtt_us")->as_double().value(), 812.3);
  EXPECT_DOUBLE_EQ(json->find("tcp_rtt_us")->as_double().value(), 1034.5);
  EXPECT_EQ(*json->string_at("accel"), "tcg");
  EXPECT_EQ(json->uint64_at("raw_frames_sent"), 20000u);
  EXPECT_EQ(json->uint64_at("raw_frames_received"), 19990u);
  EXPECT_EQ(json->uint64_at("raw_frames_lost"), 10u);
  EXPECT_EQ(json->uint64_at("udp_rtt_samples"), 200u);
  const JsonValue* runs = json->find("tcp_runs");
  ASSERT_NE(runs, nullptr);
  ASSERT_EQ(runs->items().size(), 3u);
  EXPECT_DOUBLE_EQ(runs->items()[1].as_double().value(), 4.25);
}

TEST(NetBenchTest, JsonNeverReportsNegativeLoss) {
  NetBenchResult r = sample_result();
  r.raw.received = r.raw.sent + 3;  // frames from an earlier run counted too
  auto json = parse_json(net_bench_json(r));
  ASSERT_TRUE(is_ok(json));
  EXPECT_EQ(json->uint64_at("raw_frames_lost"), 0u);
}

TEST(NetBenchTest, WritesResultsJsonIntoTheDirectory) {
  TempDir dir;
  auto file = write_net_bench(sample_result(), dir.path() / "net");
  ASSERT_TRUE(is_ok(file));
  EXPECT_EQ(*file, dir.path() / "net" / "results.json");
  std::ifstream in(*file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), net_bench_json(sample_result()));
}

}  // namespace
}  // namespace atoll_os::host::testing
