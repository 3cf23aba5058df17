// The RPC benchmark's pure parts: the sink's verdict and results.json.
#include "hostlib/rpc_bench.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "hostlib/json.h"
#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

TEST(RpcBenchTest, SinkPassesOnlyWithEveryMessageOnceAndInOrder) {
  const std::string good =
      "rpcbench: sink received=10000 duplicates=0 out_of_order=0 missing=0 ns=5 msgs_per_s=9";
  EXPECT_TRUE(is_ok(check_sink(KeyValueLine::parse(good), 10000)));
  EXPECT_EQ(check_sink(KeyValueLine::parse(good), 10001).error(), Error::kBadFormat);
  for (const char* bad : {
           "rpcbench: sink received=10000 duplicates=1 out_of_order=0 missing=0",
           "rpcbench: sink received=10000 duplicates=0 out_of_order=2 missing=0",
           "rpcbench: sink received=9999 duplicates=0 out_of_order=0 missing=1",
       }) {
    auto verdict = check_sink(KeyValueLine::parse(bad), 10000);
    ASSERT_EQ(verdict.error(), Error::kBadFormat) << bad;
    EXPECT_NE(verdict.failure().message.find(bad), std::string::npos) << verdict.failure().message;
  }
  // A line without the counts is no proof of anything.
  EXPECT_FALSE(is_ok(check_sink(KeyValueLine::parse("rpcbench: sink received=10000"), 10000)));
}

RpcBenchResult sample_result() {
  RpcBenchResult r;
  r.accel = "tcg";
  r.local_ipcm_rtt_us = 412.34;
  r.remote_rtt_us = 1650.06;
  r.remote_msgs_per_s = 2345.6;
  r.rtt_samples = 200;
  r.stream_messages = 5000;
  r.notes = "the direct path is \"not built\"";
  return r;
}

TEST(RpcBenchTest, JsonHasTheTrackedKeysWithNullForAnUnmeasuredDirectPath) {
  auto json = parse_json(rpc_bench_json(sample_result()));
  ASSERT_TRUE(is_ok(json)) << rpc_bench_json(sample_result());
  const JsonValue* direct = json->find("local_direct_rtt_us");
  ASSERT_NE(direct, nullptr);
  EXPECT_TRUE(direct->is_null());
  EXPECT_DOUBLE_EQ(json->find("local_ipcm_rtt_us")->as_double().value(), 412.3);
  EXPECT_DOUBLE_EQ(json->find("remote_rtt_us")->as_double().value(), 1650.1);
  EXPECT_DOUBLE_EQ(json->find("remote_msgs_per_s")->as_double().value(), 2346);
  EXPECT_EQ(*json->string_at("accel"), "tcg");
  EXPECT_EQ(json->uint64_at("rtt_samples"), 200u);
  EXPECT_EQ(json->uint64_at("stream_messages"), 5000u);
  EXPECT_EQ(*json->string_at("notes"), "the direct path is \"not built\"");
}

TEST(RpcBenchTest, JsonCarriesAMeasuredDirectPathAndNoEmptyNotes) {
  RpcBenchResult r = sample_result();
  r.local_direct_rtt_us = 35.25;
  r.notes.clear();
  auto json = parse_json(rpc_bench_json(r));
  ASSERT_TRUE(is_ok(json)) << rpc_bench_json(r);
  EXPECT_DOUBLE_EQ(json->find("local_direct_rtt_us")->as_double().value(), 35.2);
  EXPECT_EQ(json->find("notes"), nullptr);
}

TEST(RpcBenchTest, WritesResultsJsonIntoANewDirectory) {
  TempDir tmp;
  auto file = write_rpc_bench(sample_result(), tmp.path() / "bench" / "rpc");
  ASSERT_TRUE(is_ok(file));
  EXPECT_EQ(*file, tmp.path() / "bench" / "rpc" / "results.json");
  std::ifstream in(*file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, rpc_bench_json(sample_result()));
}

}  // namespace
}  // namespace atoll_os::host::testing
