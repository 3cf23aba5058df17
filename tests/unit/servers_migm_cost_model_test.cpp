// The auto strategy's cost model: every prediction's equations against numbers worked out by
// hand, the choices on constructed cases, the exclusions, refusals and the reason text.
#include <gtest/gtest.h>

#include <string.h>

#include <string>

#include "migm/cost_model.h"
#include "migm/link_history.h"

namespace atoll_os::servers::migm {
namespace {

using protocols::migm::Strategy;

constexpr uint64_t kMs = 1'000'000;

// Round numbers: a page takes 1 ms on the link (1000 pages/s), RTT 1 ms.
CostParams round_params() {
  CostParams p;
  p.state_bytes = 4096;
  p.negotiate_ns = 1 * kMs;
  p.freeze_fixed_ns = 10 * kMs;
  p.release_ns = 1 * kMs;
  p.round_fixed_ns = 5 * kMs;
  p.fault_fixed_ns = kMs / 10;
  p.fetch_batch_pages = 16;
  p.push_pause_ns = 1 * kMs;
  p.map_fixed_ns = 0;  // the per-page work has a test of its own
  p.map_ns_per_page = 0;
  p.scan_ns_per_page = 0;
  return p;  // precopy's stop rule: migm's defaults (8 rounds, 64 pages, 80%)
}

CostInputs round_inputs() {
  CostInputs in;
  in.link_bytes_per_s = 4096 * 1000;
  in.rtt_ns = 1 * kMs;
  in.address_space_pages = 2000;
  in.resident_pages = 1000;
  in.dirty_pages_per_s = 100;
  in.store_available = true;
  in.store_put_bytes_per_s = 4096 * 500;
  in.store_get_bytes_per_s = 4096 * 1000;
  return in;
}

// The cluster of docs/benchmarks.md: 57 MiB/s TCP, 250 us round trip, default parameters.
CostInputs measured(uint64_t resident_pages, uint64_t dirty_pages_per_s, Objective objective) {
  CostInputs in;
  in.link_bytes_per_s = 57ull << 20;
  in.rtt_ns = 250'000;
  in.address_space_pages = resident_pages + 16;
  in.resident_pages = resident_pages;
  in.dirty_pages_per_s = dirty_pages_per_s;
  in.objective = objective;
  return in;
}

uint32_t bits(std::initializer_list<Strategy> strategies) {
  uint32_t mask = 0;
  for (Strategy s : strategies) mask |= 1u << static_cast<uint32_t>(s);
  return mask;
}

Choice chosen(const CostInputs& in, const CostParams& params = CostParams{}) {
  const char* why = nullptr;
  Result<Choice> choice = choose(in, params, &why);
  EXPECT_TRUE(choice.ok()) << (why ? why : "");
  return choice.ok() ? *choice : Choice{};
}

TEST(CostModelTest, EagerFreezesForEveryPage) {
  // bytes = 1000 * 4096 + 4096; freeze = F + bytes / B = 10 + 1001 ms; total = L + N + freeze + X.
  Prediction p = predict(Strategy::kEager, round_inputs(), round_params());
  EXPECT_EQ(p.bytes, 4'100'096u);
  EXPECT_EQ(p.freeze_ns, 1011 * kMs);
  EXPECT_EQ(p.total_ns, 1014 * kMs);
  EXPECT_FALSE(p.residual);
  EXPECT_EQ(p.residual_ns, 0u);
}

TEST(CostModelTest, PrecopyRoundsShrinkGeometricallyUntilTheStopRule) {
  // Round 1: 1000 pages, 5 + 1 + 1000 = 1006 ms, dirtying ceil(100 * 1.006) = 101.
  // Round 2: 101 pages, 107 ms, dirtying ceil(10.7) = 11. Round 3: 11 pages <= 64: stop after
  // it, 17 ms, dirtying ceil(1.7) = 2 pages for the frozen round: freeze = 10 + (2 + 1) ms.
  Prediction p = predict(Strategy::kPrecopy, round_inputs(), round_params());
  EXPECT_EQ(p.rounds, 3u);
  EXPECT_EQ(p.freeze_ns, 13 * kMs);
  EXPECT_EQ(p.bytes, (1000u + 101 + 11 + 2) * 4096 + 4096);
  EXPECT_EQ(p.total_ns, (1 + 1 + 1006 + 107 + 17 + 13 + 1) * kMs);
  EXPECT_FALSE(p.residual);
}

TEST(CostModelTest, PrecopyThatCannotKeepUpStopsAndFreezesForEverything) {
  CostInputs in = round_inputs();
  in.dirty_pages_per_s = 5000;  // five times the link's page rate
  Prediction p = predict(Strategy::kPrecopy, in, round_params());
  // Round 2 sends all 1000 again (not shrinking: stop); the frozen round sends all 1000.
  EXPECT_EQ(p.rounds, 2u);
  EXPECT_EQ(p.freeze_ns, predict(Strategy::kEager, in, round_params()).freeze_ns);
  EXPECT_EQ(p.bytes, 3000u * 4096 + 4096);
}

TEST(CostModelTest, FrozenWorkGrowsWithTheSpaceAndTheMap) {
  CostParams params = round_params();
  params.scan_ns_per_page = 1000;  // 1000 resident pages: 1 ms a pass (not the 2000 mapped)
  params.map_fixed_ns = 2 * kMs;
  params.map_ns_per_page = 1000;  // 1 ms
  // Precopy: each round and the frozen one pass over the dirty bits. Round 1: 5 + 1 + 1 +
  // 1000 = 1007 ms, dirtying ceil(100.7) = 101; round 2: 108 ms, 11 pages; round 3 (11 <=
  // 64, the last): 18 ms, 2 pages. Freeze = 10 + 1 + (2 + 1) ms.
  Prediction precopy = predict(Strategy::kPrecopy, round_inputs(), params);
  EXPECT_EQ(precopy.rounds, 3u);
  EXPECT_EQ(precopy.freeze_ns, 14 * kMs);
  EXPECT_EQ(precopy.total_ns, (1 + 1 + 1007 + 108 + 18 + 14 + 1) * kMs);
  // Lazy and postcopy: F + M + R·m + the map and state at B (1.09375 ms).
  EXPECT_EQ(predict(Strategy::kLazy, round_inputs(), params).freeze_ns, 14'093'750u);
  EXPECT_EQ(predict(Strategy::kPostcopy, round_inputs(), params).freeze_ns, 14'093'750u);
  // Flush: the map's work too, besides the store puts (2000 ms).
  EXPECT_EQ(predict(Strategy::kFlush, round_inputs(), params).freeze_ns, 2'014'093'750u);
  // Eager copies what it finds and scans nothing.
  EXPECT_EQ(predict(Strategy::kEager, round_inputs(), params).freeze_ns, 1011 * kMs);
}

TEST(CostModelTest, LazyFreezesForTheMapAndDependsUntilTheLastTouch) {
  // Map: ceil(1000 / 64) = 16 runs of 24 bytes; freeze = 10 ms + (384 + 4096) / B = 11.09375 ms.
  // Residual: the 1000 pages at B (1000 ms), ceil(1000 / 16) = 63 faults of 0.1 + 1 ms
  // (69.3 ms), and 1000 pages touched at 100/s (10 s).
  Prediction p = predict(Strategy::kLazy, round_inputs(), round_params());
  EXPECT_EQ(p.freeze_ns, 11'093'750u);
  EXPECT_EQ(p.residual_ns, 11'069'300'000u);
  EXPECT_EQ(p.total_ns, 2 * kMs + 11'093'750u + 11'069'300'000u);
  EXPECT_EQ(p.bytes, 384u + 4096 + 1000 * 4096 + 63 * 64);
  EXPECT_TRUE(p.residual);
}

TEST(CostModelTest, LazyOfAnIdleProcessNeverEnds) {
  CostInputs in = round_inputs();
  in.dirty_pages_per_s = 0;
  Prediction p = predict(Strategy::kLazy, in, round_params());
  EXPECT_EQ(p.residual_ns, kNever);
  EXPECT_EQ(p.total_ns, kNever);
  EXPECT_EQ(p.freeze_ns, 11'093'750u);
}

TEST(CostModelTest, PostcopyPushesEverythingAtLinkSpeed) {
  // Residual = R * P / B + ceil(R / b) * (L + Z) = 1000 + 63 * 2 ms.
  Prediction p = predict(Strategy::kPostcopy, round_inputs(), round_params());
  EXPECT_EQ(p.freeze_ns, 11'093'750u);
  EXPECT_EQ(p.residual_ns, 1126 * kMs);
  EXPECT_EQ(p.total_ns, 2 * kMs + 11'093'750u + 1126 * kMs);
  EXPECT_EQ(p.bytes, 384u + 4096 + 1000 * 4096);
  EXPECT_TRUE(p.residual);
}

TEST(CostModelTest, FlushWritesToTheStoreFrozenAndFaultsBackFromIt) {
  // Freeze = 10 ms + 1000 pages at 500/s (2000 ms) + the map and state at B (1.09375 ms).
  // Then the 1000 pages from the store at its get rate (1000 ms), 63 faults (69.3 ms), the
  // touches at 100/s (10 s).
  Prediction p = predict(Strategy::kFlush, round_inputs(), round_params());
  EXPECT_EQ(p.freeze_ns, 2'011'093'750u);
  EXPECT_EQ(p.total_ns, 2 * kMs + 2'011'093'750u + 11'069'300'000u);
  EXPECT_EQ(p.bytes, 1000u * 4096 + 384 + 4096 + 1000 * 4096 + 63 * 64);
  EXPECT_FALSE(p.residual);
}

TEST(CostModelTest, EagerDirtySavesLiveAndSendsWhatWasWrittenMeanwhile) {
  CostInputs in = round_inputs();
  in.store_saved_pages = 600;
  // The live save: the 400 pages the store lacks at 500/s (800 ms) and a round trip: 801 ms,
  // in which the process writes ceil(80.1) = 81 pages. Frozen: those 81 pages, the map of
  // the 919 in the store (15 runs, 360 bytes) and the state: 336,232 bytes = 82.0878906 ms
  // at B. Then 919 pages from the store (919 ms), ceil(919 / 16) = 58 faults (63.8 ms),
  // touches at 100/s (9.19 s).
  Prediction p = predict(Strategy::kEagerDirty, in, round_params());
  EXPECT_EQ(p.rounds, 1u);
  EXPECT_EQ(p.freeze_ns, 10 * kMs + 82'087'891u);
  EXPECT_EQ(p.total_ns, 2 * kMs + 801 * kMs + 10 * kMs + 82'087'891u + 10'172'800'000u + kMs);
  EXPECT_EQ(p.bytes, 400u * 4096 + 336'232 + 919 * 4096 + 58 * 64);
  EXPECT_FALSE(p.residual);
  // A fresh process (nothing in the store): the save puts all 1000 pages (2001 ms), and the
  // ceil(200.1) = 201 written meanwhile go frozen with the map of 799 (13 runs, 312 bytes)
  // and the state: 827,704 bytes, 202.0761719 ms at B.
  in.store_saved_pages = 0;
  p = predict(Strategy::kEagerDirty, in, round_params());
  EXPECT_EQ(p.freeze_ns, 10 * kMs + 202'076'172u);
  EXPECT_FALSE(p.residual);
}

TEST(CostModelTest, RoundCaseChoicesPerObjective) {
  CostInputs in = round_inputs();
  in.store_saved_pages = 600;
  // Freeze: lazy and postcopy tie at 11.1 ms (precopy's 13 ms is outside 10%); postcopy's
  // total is shorter.
  in.objective = Objective::kShortestFreeze;
  EXPECT_EQ(chosen(in, round_params()).strategy, Strategy::kPostcopy);
  // Total: eager 1014 ms; postcopy's 1139 ms and precopy's 1146 ms are beyond 10%.
  in.objective = Objective::kShortestTotal;
  EXPECT_EQ(chosen(in, round_params()).strategy, Strategy::kEager);
  // Traffic: eager, postcopy, lazy and eager-dirty within 10%; eager and eager-dirty leave
  // nothing at the source; eager's total is shorter.
  in.objective = Objective::kLeastTraffic;
  EXPECT_EQ(chosen(in, round_params()).strategy, Strategy::kEager);
  in.built = bits({Strategy::kLazy, Strategy::kPostcopy, Strategy::kEagerDirty});
  // The store lacking 400 pages, eager-dirty puts them and fetches them back: 5.7 MB
  // against postcopy's 4.1 MB. Lacking 10, it ties postcopy and leaves nothing behind.
  EXPECT_EQ(chosen(in, round_params()).strategy, Strategy::kPostcopy);
  in.store_saved_pages = 990;
  EXPECT_EQ(chosen(in, round_params()).strategy, Strategy::kEagerDirty);
  in.store_saved_pages = 600;
  in.built = 0;
  in.objective = Objective::kNoResidual;
  EXPECT_EQ(chosen(in, round_params()).strategy, Strategy::kEager);
}

TEST(CostModelTest, IdleBigProcessPrecopyForShortestFreeze) {
  // 64 MiB, one page a second: precopy's frozen round holds a page or two and a pass over
  // the dirty bits (1.3 ms); eager freezes for 1.1 s, lazy and postcopy for the map's work
  // (4 + 7.4 ms) besides.
  Choice c = chosen(measured(16384, 1, Objective::kShortestFreeze));
  EXPECT_EQ(c.strategy, Strategy::kPrecopy);
  const Prediction& eager = c.predictions[0];
  const Prediction& precopy = c.predictions[1];
  EXPECT_LT(precopy.freeze_ns * 10, eager.freeze_ns / 4);
  EXPECT_STREQ(c.reason, "precopy: freeze 13 ms vs lazy 23 ms (64 MiB, dirty 1 p/s)");
}

TEST(CostModelTest, TinyProcessEagerExceptOnFreeze) {
  for (Objective o :
       {Objective::kShortestTotal, Objective::kLeastTraffic, Objective::kNoResidual}) {
    Choice c = chosen(measured(25, 1, o));  // 100 KiB
    EXPECT_EQ(c.strategy, Strategy::kEager) << objective_name(o) << ": " << c.reason;
  }
  // Even 100 KiB take eager 2 ms to copy frozen; precopy's frozen round holds one page.
  Choice c = chosen(measured(25, 1, Objective::kShortestFreeze));
  EXPECT_EQ(c.strategy, Strategy::kPrecopy) << c.reason;
  EXPECT_GT(c.predictions[0].freeze_ns, c.predictions[1].freeze_ns + kMs);
}

TEST(CostModelTest, HeavyDirtyRateNotPrecopy) {
  // 20,000 pages/s against a link of 14,592 pages/s: the rounds never shrink.
  for (Objective o : {Objective::kShortestFreeze, Objective::kShortestTotal,
                      Objective::kLeastTraffic, Objective::kNoResidual}) {
    for (uint64_t pages : {1024u, 16384u, 65536u}) {
      CostInputs in = measured(pages, 20000, o);
      Choice c = chosen(in);
      EXPECT_NE(c.strategy, Strategy::kPrecopy) << objective_name(o) << ": " << c.reason;
      in.built = bits({Strategy::kEager, Strategy::kPrecopy});  // no lazy either
      EXPECT_EQ(chosen(in).strategy, Strategy::kEager) << objective_name(o);
    }
  }
  // On freeze with lazy strategies built: the map, not the pages.
  Choice c = chosen(measured(16384, 20000, Objective::kShortestFreeze));
  EXPECT_TRUE(c.strategy == Strategy::kPostcopy || c.strategy == Strategy::kLazy) << c.reason;
}

TEST(CostModelTest, NoResidualObjectiveNeverPicksLazyOrPostcopy) {
  for (uint64_t pages : {1u, 25u, 4096u, 16384u, 65536u}) {
    for (uint64_t dirty : {0u, 1u, 300u, 4000u, 50000u}) {
      CostInputs in = measured(pages, dirty, Objective::kNoResidual);
      in.store_available = true;
      in.store_put_bytes_per_s = 20ull << 20;
      in.store_saved_pages = pages / 2;
      Choice c = chosen(in);
      EXPECT_FALSE(protocols::migm::leaves_residual(c.strategy)) << c.reason;
      EXPECT_FALSE(c.predictions[2].allowed);
      EXPECT_STREQ(c.predictions[3].excluded, "leaves a residual dependency");
    }
  }
}

TEST(CostModelTest, NoStoreNeverFlushOrEagerDirty) {
  for (Objective o : {Objective::kShortestFreeze, Objective::kShortestTotal,
                      Objective::kLeastTraffic, Objective::kNoResidual}) {
    for (uint64_t dirty : {0u, 1u, 4000u, 50000u}) {
      CostInputs in = measured(16384, dirty, o);
      in.built = bits({Strategy::kEager, Strategy::kFlush, Strategy::kEagerDirty});
      in.store_saved_pages = 16000;  // would make eager-dirty cheap, were there a store
      Choice c = chosen(in);
      EXPECT_EQ(c.strategy, Strategy::kEager) << c.reason;
      EXPECT_STREQ(c.predictions[4].excluded, "no page store");
      EXPECT_STREQ(c.predictions[5].excluded, "no page store");
    }
  }
}

TEST(CostModelTest, EagerDirtyWinsFreezeWhenTheStoreHoldsMostPages) {
  CostInputs in = measured(16384, 20000, Objective::kShortestFreeze);
  in.built = bits({Strategy::kEager, Strategy::kPrecopy, Strategy::kEagerDirty});
  in.store_available = true;
  in.store_put_bytes_per_s = 20ull << 20;
  in.store_saved_pages = 16000;
  EXPECT_EQ(chosen(in).strategy, Strategy::kEagerDirty);
  in.store_saved_pages = 0;  // nothing saved: eager-dirty is eager plus a store
  EXPECT_EQ(chosen(in).strategy, Strategy::kEager);
}

TEST(CostModelTest, OnlyBuiltStrategiesAreChosen) {
  CostInputs in = measured(16384, 1, Objective::kShortestFreeze);
  in.built = bits({Strategy::kEager});
  Choice c = chosen(in);
  EXPECT_EQ(c.strategy, Strategy::kEager);
  EXPECT_STREQ(c.predictions[1].excluded, "not built");
  EXPECT_NE(std::string(c.reason).find(", the only strategy allowed"), std::string::npos);
}

TEST(CostModelTest, RefusesInputsItCannotJudge) {
  const char* why = nullptr;
  CostInputs in = measured(100, 1, Objective::kShortestTotal);
  in.link_bytes_per_s = 0;
  EXPECT_EQ(choose(in, CostParams{}, &why).error(), Error::kInvalidArgument);
  EXPECT_STREQ(why, "no link throughput measured");
  in = measured(100, 1, Objective::kShortestTotal);
  in.address_space_pages = 50;
  EXPECT_EQ(choose(in, CostParams{}, &why).error(), Error::kInvalidArgument);
  in = measured(100, 1, Objective::kShortestTotal);
  in.store_saved_pages = 101;
  EXPECT_EQ(choose(in, CostParams{}, &why).error(), Error::kInvalidArgument);
  in = measured(100, 1, static_cast<Objective>(9));
  EXPECT_EQ(choose(in, CostParams{}, &why).error(), Error::kInvalidArgument);
  EXPECT_STREQ(why, "unknown objective");
  in = measured(100, 1, Objective::kNoResidual);
  in.built = bits({Strategy::kLazy, Strategy::kPostcopy});
  EXPECT_EQ(choose(in, CostParams{}, &why).error(), Error::kNotSupported);
}

TEST(CostModelTest, HugeInputsSaturateAndReasonsFit) {
  CostInputs in = measured(uint64_t{1} << 40, UINT64_MAX, Objective::kShortestTotal);
  in.address_space_pages = UINT64_MAX;
  in.link_bytes_per_s = 1;
  in.rtt_ns = UINT64_MAX;
  Choice c = chosen(in);
  EXPECT_LT(strlen(c.reason), kReasonMax);
  for (const Prediction& p : c.predictions) EXPECT_GE(p.total_ns, p.freeze_ns);
}

TEST(CostModelTest, ExtremeStopRulesAndSizesStayBounded) {
  CostParams params;
  params.precopy.max_rounds = UINT32_MAX;
  params.precopy.small_pages = 0;
  params.precopy.shrink_percent = UINT32_MAX;  // "shrinking" whatever happens
  CostInputs in = measured(16384, 20000, Objective::kShortestFreeze);
  EXPECT_EQ(predict(Strategy::kPrecopy, in, params).rounds, 1000u);
  in = measured(UINT64_MAX, 1, Objective::kShortestFreeze);
  in.address_space_pages = UINT64_MAX;
  Prediction lazy = predict(Strategy::kLazy, in, CostParams{});
  EXPECT_EQ(lazy.bytes, UINT64_MAX);  // saturated, not wrapped round to a small map
  EXPECT_EQ(lazy.freeze_ns, UINT64_MAX);
}

TEST(CostModelTest, ObjectiveNamesRoundTrip) {
  for (Objective o : {Objective::kShortestFreeze, Objective::kShortestTotal,
                      Objective::kLeastTraffic, Objective::kNoResidual}) {
    Objective parsed{};
    ASSERT_TRUE(parse_objective(objective_name(o), parsed));
    EXPECT_EQ(parsed, o);
  }
  Objective parsed{};
  EXPECT_FALSE(parse_objective("fastest", parsed));
  EXPECT_FALSE(parse_objective("freezer", parsed));
}

}  // namespace
}  // namespace atoll_os::servers::migm

namespace atoll_os::servers::migm {
namespace {

protocols::migm::MigrationRecord eager_to(uint32_t node, uint64_t bytes, uint64_t memory_ns,
                                          uint64_t negotiate_ns) {
  protocols::migm::MigrationRecord r{};
  r.to_node = node;
  r.strategy = Strategy::kEager;
  r.bytes_sent = bytes;
  r.memory_ns = memory_ns;
  r.negotiate_ns = negotiate_ns;
  return r;
}

TEST(LinkHistory, DefaultsUntilAMigrationMeasuredTheLink) {
  LinkHistory links;
  EXPECT_EQ(links.bytes_per_s(1), LinkHistory::kDefaultBytesPerS);
  EXPECT_EQ(links.rtt_ns(1), LinkHistory::kDefaultRttNs);
  links.note(eager_to(1, 64ull << 20, 2'000'000'000, 3'000'000));  // 32 MiB/s
  EXPECT_NEAR(double(links.bytes_per_s(1)), double(32ull << 20), double(1 << 20) / 10);
  EXPECT_EQ(links.rtt_ns(1), 3'000'000u);
  EXPECT_EQ(links.bytes_per_s(2), LinkHistory::kDefaultBytesPerS);  // per node
}

TEST(LinkHistory, NewSamplesCountAQuarter) {
  LinkHistory links;
  links.note(eager_to(1, 100'000'000, 1'000'000'000, 4'000'000));  // 100 MB/s
  links.note(eager_to(1, 20'000'000, 1'000'000'000, 8'000'000));   // 20 MB/s
  EXPECT_NEAR(double(links.bytes_per_s(1)), 80e6, 1e6);
  EXPECT_EQ(links.rtt_ns(1), 5'000'000u);
}

TEST(LinkHistory, FailuresSmallSlicesAndOtherStrategiesSayNothingOfThroughput) {
  LinkHistory links;
  auto failed = eager_to(1, 64ull << 20, 1'000'000'000, 1'000'000);
  failed.error = int32_t(Error::kTimedOut);
  links.note(failed);
  links.note(eager_to(1, 100'000, 50'000'000, 0));  // all set-up
  auto lazy = eager_to(1, 64ull << 20, 1'000'000, 0);
  lazy.strategy = Strategy::kLazy;  // its memory phase moves the map only
  links.note(lazy);
  links.note(eager_to(LinkHistory::kNodesMax, 64ull << 20, 1'000'000'000, 1));  // no such slot
  EXPECT_EQ(links.bytes_per_s(1), LinkHistory::kDefaultBytesPerS);
  EXPECT_EQ(links.rtt_ns(1), LinkHistory::kDefaultRttNs);
}

}  // namespace
}  // namespace atoll_os::servers::migm
