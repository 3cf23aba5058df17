// auto's cost model read against a measured matrix: the cells it checks, the model's pick,
// the best measured, and the 10% verdict.
#include "hostlib/migrate_model_check.h"

#include <gtest/gtest.h>

namespace atoll_os::host::testing {
namespace {

MigrateBenchRecord measured(const std::string& strategy, uint64_t size, double freeze_ms,
                            double total_ms, double residual_ms = 0) {
  MigrateBenchRecord r;
  r.strategy = strategy;
  r.size_bytes = size;
  r.dirty = "idle";
  r.dirty_rate = 1;
  r.freeze_ms = freeze_ms;
  r.total_ms = total_ms;
  r.residual_ms = residual_ms;
  r.address_space_bytes = size + 40 * 4096;
  return r;
}

MigrateBenchResult matrix() {
  MigrateBenchResult result;
  result.link_mib_per_s = 57;
  result.records = {
      measured("eager", 64 << 20, 2800, 2810),
      measured("precopy", 64 << 20, 30, 2000),
      measured("precopy", 64 << 20, 20, 2100),  // median freeze 25, total 2050
      measured("lazy", 64 << 20, 22, 35, 3800),
      measured("eager", 1 << 20, 40, 45),  // a cell of one strategy: nothing to compare
  };
  MigrateBenchRecord refused = measured("flush", 64 << 20, 0, 0);
  refused.status = "not supported";
  result.records.push_back(refused);
  return result;
}

TEST(MigrateModelCheckTest, ComparesTheModelsPickWithTheBestMeasured) {
  std::vector<ModelCheck> rows = check_model(matrix());
  ASSERT_EQ(rows.size(), 3u);
  // Freeze: precopy (ties lazy in the model and leaves nothing behind); measured 25 ms
  // against lazy's 22 ms: beyond 10% (24.2 ms).
  EXPECT_EQ(rows[0].objective, "freeze");
  EXPECT_EQ(rows[0].chosen, "precopy");
  EXPECT_DOUBLE_EQ(rows[0].chosen_ms, 25);
  EXPECT_EQ(rows[0].best, "lazy");
  EXPECT_DOUBLE_EQ(rows[0].best_ms, 22);
  EXPECT_FALSE(rows[0].within);
  // Total: the model says eager (precopy within 10% sends more); measured precopy 2050 ms
  // and lazy 3835 ms (commit plus residual) against eager's 2810.
  EXPECT_EQ(rows[1].objective, "total");
  EXPECT_EQ(rows[1].chosen, "eager");
  EXPECT_EQ(rows[1].best, "precopy");
  EXPECT_DOUBLE_EQ(rows[1].best_ms, 2050);
  EXPECT_FALSE(rows[1].within);
  // No residual: precopy ties eager on total and freezes less; lazy is not a candidate.
  EXPECT_EQ(rows[2].objective, "no-residual");
  EXPECT_EQ(rows[2].chosen, "precopy");
  EXPECT_EQ(rows[2].best, "precopy");
  EXPECT_TRUE(rows[2].within);
  EXPECT_NE(rows[2].reason.find("(64 MiB, dirty 1 p/s)"), std::string::npos) << rows[2].reason;
}

MigrateBenchRecord auto_run(const std::string& chosen, double freeze_ms) {
  MigrateBenchRecord r = measured("auto", 64 << 20, freeze_ms, freeze_ms + 2000);
  r.chosen = chosen;
  return r;
}

TEST(MigrateModelCheckTest, AutoIsComparedWithTheBestFixedStrategyNeverWithItself) {
  MigrateBenchResult result = matrix();
  result.records.push_back(auto_run("precopy", 23));
  result.records.push_back(auto_run("lazy", 21));
  result.records.push_back(auto_run("precopy", 26));  // median 23: within 10% of lazy's 22
  std::vector<AutoCheck> ran = check_auto(result);
  ASSERT_EQ(ran.size(), 1u);
  EXPECT_EQ(ran[0].chosen, "precopy/lazy");
  EXPECT_DOUBLE_EQ(ran[0].auto_ms, 23);
  EXPECT_EQ(ran[0].best, "lazy");
  EXPECT_DOUBLE_EQ(ran[0].best_ms, 22);
  EXPECT_TRUE(ran[0].within);
  // The model's rows do not count auto's runs among the measured strategies either.
  std::vector<ModelCheck> rows = check_model(result);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].best, "lazy");
  result.records.push_back(auto_run("postcopy", 30));
  result.records.push_back(auto_run("postcopy", 30));  // median 26: beyond 24.2
  ran = check_auto(result);
  EXPECT_FALSE(ran[0].within);
  const std::string text = migrate_model_check(result);
  EXPECT_NE(text.find("| 64M | idle | precopy/lazy/postcopy | 26.0 | lazy | 22.0 | no |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("0 of 1 cells within 10% of the best fixed strategy."), std::string::npos)
      << text;
}

TEST(MigrateModelCheckTest, MarkdownCountsTheCellsWithin) {
  const std::string text = migrate_model_check(matrix());
  EXPECT_NE(text.find("| 64M | idle | no-residual | precopy | 2050.0 | precopy | 2050.0 | yes |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("1 of 3 within 10% of the best measured."), std::string::npos) << text;
  MigrateBenchResult lonely;
  lonely.link_mib_per_s = 57;
  lonely.records = {measured("eager", 1 << 20, 40, 45)};
  EXPECT_EQ(migrate_model_check(lonely), "");
}

}  // namespace
}  // namespace atoll_os::host::testing
