// The migration benchmark's pure parts: option parsing, node memory, memtouch's touch
// rates around a move, results.json, the per-dirty-rate summary and the plot data.
#include "hostlib/migrate_bench.h"

#include <fstream>
#include <sstream>

#include "cli/cli_options.h"
#include "hostlib/json.h"
#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

MigrateBenchRecord row(const std::string& strategy, uint64_t size, const std::string& dirty,
                       double total_ms, double slowdown = 0) {
  MigrateBenchRecord r;
  r.strategy = strategy;
  r.size_bytes = size;
  r.dirty = dirty;
  r.dirty_rate = dirty == "idle" ? 1 : 4096;
  r.total_ms = total_ms;
  r.freeze_ms = total_ms / 2;
  r.bytes_sent = size + 4096;
  r.pages_sent = size / 4096 + 1;
  r.slowdown = slowdown;
  return r;
}

MigrateBenchResult two_rates() {
  MigrateBenchResult result;
  result.accel = "tcg";
  result.revision = "abc1234";
  result.link_mib_per_s = 57.5;
  result.records = {row("eager", 1 << 20, "idle", 40), row("eager", 1 << 20, "idle", 60),
                    row("eager", 16 << 20, "idle", 300), row("eager", 1 << 20, "heavy", 45, 0.98),
                    row("precopy", 1 << 20, "heavy", 90, 1.01)};
  MigrateBenchRecord refused;
  refused.strategy = "flush";
  refused.status = "not supported";
  refused.reason = "negotiate: strategy flush is not built";
  refused.size_bytes = 1 << 20;
  refused.dirty = "idle";
  result.records.push_back(refused);
  return result;
}

TEST(MigrateBenchTest, SizesUpTo256M) {
  auto sizes = parse_sizes("100K,1M,256M");
  ASSERT_TRUE(is_ok(sizes));
  EXPECT_EQ(*sizes, (std::vector<uint64_t>{100 << 10, 1 << 20, 256 << 20}));
  EXPECT_EQ(parse_sizes("257M").error(), Error::kInvalidArgument);
  EXPECT_EQ(parse_sizes("1M,,4M").error(), Error::kInvalidArgument);
  EXPECT_EQ(parse_sizes("0").error(), Error::kInvalidArgument);
  EXPECT_EQ(parse_sizes("99999999999999M").error(), Error::kInvalidArgument);
}

TEST(MigrateBenchTest, StrategiesAllIsEveryStrategy) {
  auto all = parse_strategies("all");
  ASSERT_TRUE(is_ok(all));
  EXPECT_EQ(*all, (std::vector<std::string>{"eager", "precopy", "lazy", "postcopy", "flush",
                                            "eager-dirty", "auto"}));
  auto some = parse_strategies("eager,eager-dirty");
  ASSERT_TRUE(is_ok(some));
  EXPECT_EQ(*some, (std::vector<std::string>{"eager", "eager-dirty"}));
  EXPECT_EQ(parse_strategies("eager,copy").error(), Error::kInvalidArgument);
  EXPECT_EQ(parse_strategies("").error(), Error::kInvalidArgument);
}

TEST(MigrateBenchTest, DirtyLevelsByNameOrRate) {
  auto levels = parse_dirty("idle,moderate,heavy");
  ASSERT_TRUE(is_ok(levels));
  EXPECT_EQ(*levels, dirty_levels());
  EXPECT_EQ((*levels)[0], (DirtyLevel{"idle", 1}));
  EXPECT_EQ((*levels)[1], (DirtyLevel{"moderate", 256}));
  EXPECT_EQ((*levels)[2], (DirtyLevel{"heavy", 4096}));
  auto numeric = parse_dirty("heavy,300");
  ASSERT_TRUE(is_ok(numeric));
  EXPECT_EQ((*numeric)[1], (DirtyLevel{"300", 300}));
  EXPECT_EQ(parse_dirty("busy").error(), Error::kInvalidArgument);
  EXPECT_EQ(parse_dirty("0").error(), Error::kInvalidArgument);
  EXPECT_EQ(parse_dirty("idle,").error(), Error::kInvalidArgument);
}

TEST(MigrateBenchTest, TheCommandLineTakesDirtyRates) {
  auto options = cli::parse_options(
      {"bench", "migrate", "--strategies", "all", "--dirty", "idle,heavy", "--repeat", "2"});
  ASSERT_TRUE(is_ok(options));
  EXPECT_EQ(options->dirty, "idle,heavy");
  EXPECT_EQ(options->strategies, "all");
  EXPECT_EQ(options->repeat, 2u);
  EXPECT_EQ(cli::parse_options({"bench", "migrate", "--dirty"}).error(), Error::kInvalidArgument);
}

TEST(MigrateBenchTest, NodeMemoryHoldsTwoCopiesOfTheLargest) {
  EXPECT_EQ(bench_node_memory({100 << 10, 64 << 20}), "256M");  // as before: the default
  EXPECT_EQ(bench_node_memory({}), "256M");
  EXPECT_EQ(bench_node_memory({1 << 20, 256 << 20}), "640M");
  EXPECT_EQ(bench_node_memory({100 << 20}), "384M");  // 328M rounded up to 64M steps
}

TEST(MigrateBenchTest, OnlyStoreStrategiesNeedTheStoreNode) {
  MigrateBenchPlan plan;
  plan.strategies = {"eager", "precopy", "lazy", "postcopy", "auto"};
  EXPECT_FALSE(plan_uses_store(plan));
  plan.strategies.push_back("eager-dirty");
  EXPECT_TRUE(plan_uses_store(plan));
  plan.strategies = {"flush"};
  EXPECT_TRUE(plan_uses_store(plan));
}

TEST(MigrateBenchTest, StoreHoldsTheLargestProcessAndAnEighthMore) {
  EXPECT_EQ(bench_store_pages({}), 16384u);  // the store's default
  EXPECT_EQ(bench_store_pages({1 << 20, 16 << 20}), 16384u);
  EXPECT_EQ(bench_store_pages({1 << 20, 256 << 20}), 65536u + 8192u);
}

TEST(MigrateBenchTest, RefusedStrategiesAreSkippedEverywhereFailedSizesOnlyThere) {
  std::vector<MigrateBenchRecord> done = {row("eager", 1 << 20, "idle", 40)};
  EXPECT_FALSE(matrix_skips(done, "eager", 1 << 20));
  MigrateBenchRecord failed = row("eager", 256 << 20, "idle", 0);
  failed.status = "failed";
  done.push_back(failed);
  EXPECT_TRUE(matrix_skips(done, "eager", 256 << 20));
  EXPECT_FALSE(matrix_skips(done, "eager", 64 << 20));
  EXPECT_FALSE(matrix_skips(done, "precopy", 256 << 20));
  MigrateBenchRecord refused = row("flush", 1 << 20, "idle", 0);
  refused.status = "not supported";
  done.push_back(refused);
  EXPECT_TRUE(matrix_skips(done, "flush", 64 << 20));
  EXPECT_FALSE(matrix_skips(done, "lazy", 1 << 20));
}

TEST(MigrateBenchTest, TouchRatesAroundAMove) {
  const std::vector<std::string> lines = {
      "memtouch: touched 256 pages, checksum 0x1",
      "memtouch: rate touches=900 ms=1000 per_s=900",  // an older one
      "memtouch: touched 1256 pages, checksum 0x2",
      "memtouch: rate touches=1000 ms=1000 per_s=1000",  // before: the last before asking
      // asked_at = 4: printed on the source while the migration ran
      "memtouch: rate touches=1000 ms=1000 per_s=1000",
      // moved_at = 5: from the destination
      "memtouch: touched 3256 pages, checksum 0x3",
      "memtouch: rate touches=2000 ms=1500 per_s=1333",  // spans the move: not counted
      "memtouch: rate touches=400 ms=1000 per_s=400",
      "memtouch: rate touches=800 ms=1000 per_s=800",
      "memtouch: rate touches=1 ms=1000 per_s=1",  // beyond the 2 s
  };
  TouchRates rates = touch_rates(lines, 4, 5);
  EXPECT_DOUBLE_EQ(rates.before, 1000.0);
  EXPECT_DOUBLE_EQ(rates.after, 600.0);  // 1200 touches in 2000 ms
  EXPECT_EQ(rate_lines_from(lines, 5), 4u);
  EXPECT_EQ(rate_lines_from(lines, 0), 7u);

  // Too few lines after the move: no after rate, rather than a wrong one.
  std::vector<std::string> short_lines(lines.begin(), lines.begin() + 8);
  EXPECT_DOUBLE_EQ(touch_rates(short_lines, 4, 5).after, 0.0);
  // A line without its numbers is skipped; no rate line before: 0.
  EXPECT_DOUBLE_EQ(touch_rates({"memtouch: rate touches=x ms=1000"}, 1, 1).before, 0.0);
}

TEST(MigrateBenchTest, JsonHasEveryKeyOfEveryRecord) {
  auto json = parse_json(migrate_bench_json(two_rates()));
  ASSERT_TRUE(is_ok(json));
  const JsonValue* records = json->find("records");
  ASSERT_NE(records, nullptr);
  ASSERT_EQ(records->items().size(), 6u);
  for (const JsonValue& r : records->items()) {
    for (const char* key :
         {"strategy", "status", "size_bytes", "dirty", "dirty_rate", "total_ms", "freeze_ms",
          "bytes_sent", "pages_sent", "rounds", "residual_ms", "remote_faults", "link_mib_per_s",
          "efficiency", "slowdown", "touch_rate_before", "touch_rate_after", "accel", "revision"}) {
      EXPECT_NE(r.find(key), nullptr) << key << " in " << r.to_json();
    }
  }
  EXPECT_EQ(*records->items()[5].string_at("status"), "not supported");
  EXPECT_EQ(*records->items()[3].string_at("dirty"), "heavy");
  EXPECT_EQ(records->items()[3].uint64_at("dirty_rate"), 4096u);
}

TEST(MigrateBenchTest, SummaryHasOneTablePerDirtyRateAndListsTheRefused) {
  const std::string text = migrate_bench_summary(two_rates());
  size_t idle = text.find("### dirty idle: memtouch writes 1 pages/s");
  size_t heavy = text.find("### dirty heavy: memtouch writes 4096 pages/s");
  ASSERT_NE(idle, std::string::npos) << text;
  ASSERT_NE(heavy, std::string::npos) << text;
  EXPECT_LT(idle, heavy);
  std::string idle_table = text.substr(idle, heavy - idle);
  EXPECT_NE(idle_table.find("| eager | 16M | 300.00 |"), std::string::npos) << idle_table;
  EXPECT_EQ(idle_table.find("precopy"), std::string::npos) << idle_table;
  EXPECT_NE(text.find("| precopy | 1M | 90.00 | 45.00 |"), std::string::npos) << text;
  EXPECT_NE(text.find("| 1.01 |"), std::string::npos) << text;  // the slowdown column
  EXPECT_NE(text.find("- flush (1M, idle): not supported: negotiate: strategy flush is not built"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("| flush |"), std::string::npos) << text;
}

TEST(MigrateBenchTest, SeriesAreMediansPerStrategyAndDirtyRate) {
  std::vector<std::string> titles;
  const std::string data = migrate_bench_series(two_rates(), "total", titles);
  EXPECT_EQ(titles, (std::vector<std::string>{"eager idle", "eager heavy", "precopy heavy"}));
  EXPECT_EQ(data,
            "# eager idle\n1.0000 50.000\n16.0000 300.000\n\n\n"
            "# eager heavy\n1.0000 45.000\n\n\n"
            "# precopy heavy\n1.0000 90.000\n\n\n");
  titles.clear();
  migrate_bench_series(two_rates(), "slowdown", titles);  // unmeasured (0) points left out
  EXPECT_EQ(titles, (std::vector<std::string>{"eager heavy", "precopy heavy"}));
  titles.clear();
  const std::string freeze = migrate_bench_series(two_rates(), "freeze", titles);
  EXPECT_NE(freeze.find("1.0000 25.000"), std::string::npos) << freeze;
}

TEST(MigrateBenchTest, WritesResultsSummaryAndPlots) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0) GTEST_SKIP() << "no gnuplot";
  TempDir dir;
  auto file = write_migrate_bench(two_rates(), dir.path());
  ASSERT_TRUE(is_ok(file));
  for (const char* name : {"results.json", "summary.md", "migration.svg", "migration_freeze.svg",
                           "migration_bytes.svg", "migration_slowdown.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.path() / name)) << name;
  }
  std::ifstream svg(dir.path() / "migration_freeze.svg");
  std::stringstream text;
  text << svg.rdbuf();
  EXPECT_NE(text.str().find("precopy heavy"), std::string::npos);
  // One colour per strategy (precopy: the second), one dash type per dirty rate (heavy: 3).
  std::ifstream gp(dir.path() / "migration.gp");
  std::stringstream script;
  script << gp.rdbuf();
  EXPECT_NE(script.str().find("lc 2 dt 3 pt 9 lw 1.5 title 'precopy heavy'"), std::string::npos)
      << script.str();
  EXPECT_NE(script.str().find("lc 1 dt 1 pt 7 lw 1.5 title 'eager idle'"), std::string::npos);
}

}  // namespace
}  // namespace atoll_os::host::testing
