// The migration state machines on both sides, over fake servers: the eager plan's order,
// every abort path before commit, the commit point's uncertain cases, and the destination's
// judgement of proposals (version, strategy, CPU features, memory) and expiry.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "migm/destination.h"
#include "migm/source.h"

namespace atoll_os::servers::migm {
namespace {

constexpr uint64_t kPid = 0x4;
constexpr uint64_t kId = 77;
constexpr CpuFeatures kBasic{0, (1u << 25) | (1u << 26), 0, 0};                  // sse, sse2
constexpr CpuFeatures kWithAvx2{1u << 28, (1u << 25) | (1u << 26), 1u << 5, 0};  // + avx, avx2

// Source steps that log each call and fail the one named in `fail_at` with `error`.
class FakeSource final : public MigrationSteps {
 public:
  std::vector<std::string> calls;
  std::string fail_at;
  Error error = Error::kOutOfMemory;
  int commit_timeouts = 0;  // commits that go unanswered before one is answered
  uint64_t clock = 0;

  Result<ProcessFacts> describe(uint64_t) override {
    TRY(step("describe"));
    return ProcessFacts{kPid, 1, 25, 16384, 10, 0, "counter"};
  }
  Result<void> propose(uint32_t, const Proposal& p) override {
    proposed = p;
    return step("propose");
  }
  Result<void> freeze(uint64_t) override { return step("freeze"); }
  Result<SliceCost> send_memory(uint64_t, uint64_t, uint32_t) override {
    TRY(step("memory"));
    return SliceCost{102400, 25};
  }
  Result<SliceCost> send_ports(uint64_t, uint64_t, uint32_t) override {
    TRY(step("ports"));
    return SliceCost{200, 0};
  }
  Result<SliceCost> send_process(uint64_t, uint64_t, uint32_t) override {
    TRY(step("process"));
    return SliceCost{1000, 0};
  }
  // precopy rounds: "first", then "dirty" (the live ones and the frozen last); lazy's and
  // postcopy's map: "map", "map+push". Each round sends the next of `round_pages` (25 after).
  Result<SliceCost> send_pages(uint64_t, uint64_t, uint32_t,
                               protocols::mm::SendMode mode) override {
    using protocols::mm::SendMode;
    const char* name = mode == SendMode::kPrecopyFirst   ? "first"
                       : mode == SendMode::kPrecopyDirty ? "dirty"
                       : mode == SendMode::kLazy         ? "map"
                       : mode == SendMode::kPostcopy     ? "map+push"
                       : mode == SendMode::kFlush        ? "flush"
                       : mode == SendMode::kStoreSave    ? "save"
                       : mode == SendMode::kEagerDirty   ? "dirty+map"
                       : mode == SendMode::kStoreDrop    ? "store-drop"
                                                         : "whole";
    TRY(step(name));
    uint64_t pages = 25;
    if (!round_pages.empty()) {
      pages = round_pages.front();
      round_pages.erase(round_pages.begin());
    }
    return SliceCost{pages * 4096 + 100, pages};
  }
  void drop_residual(uint64_t) override { calls.push_back("drop"); }

  std::vector<uint64_t> round_pages;
  Result<void> commit(uint32_t, uint64_t, uint64_t) override {
    if (commit_timeouts > 0) {
      --commit_timeouts;
      calls.push_back("commit");
      return Err(Error::kTimedOut);
    }
    return step("commit");
  }
  Result<void> release(uint64_t) override { return step("release"); }
  Result<void> thaw(uint64_t) override { return step("thaw"); }
  void abort(uint32_t, uint64_t, uint64_t) override { calls.push_back("abort"); }
  uint64_t now_ns() override { return clock += 10; }
  const char* reason() override { return "the fake says no"; }

  Proposal proposed{};

 private:
  Result<void> step(const char* name) {
    calls.push_back(name);
    if (fail_at == name) return Err(error);
    return success();
  }
};

std::vector<std::string> steps(std::initializer_list<const char*> names) {
  return std::vector<std::string>(names.begin(), names.end());
}

MigrationRecord run(FakeSource& source) {
  return run_eager(source, kPid, 0, 2, kId, kBasic);
}

TEST(MigmSource, EagerRunsEveryStepInOrderAndRecordsTheCost) {
  FakeSource source;
  MigrationRecord record = run(source);
  EXPECT_EQ(record.error, 0) << record.reason;
  EXPECT_EQ(source.calls, steps({"describe", "propose", "freeze", "memory", "ports", "process",
                                 "commit", "release"}));
  EXPECT_EQ(record.bytes_sent, 103600u);
  EXPECT_EQ(record.pages_sent, 25u);
  EXPECT_EQ(record.address_space_bytes, 25u * 4096);
  EXPECT_GT(record.freeze_ns, 0u);
  EXPECT_GT(record.total_ns, record.freeze_ns);
  EXPECT_EQ(record.migration_id, kId);
  EXPECT_EQ(source.proposed.process.pid, kPid);
  EXPECT_EQ(source.proposed.version, protocols::migm::kMigrationVersion);
  EXPECT_EQ(source.proposed.isa, kIsaX86_64);
  EXPECT_EQ(source.proposed.features.leaf1_edx, kBasic.leaf1_edx);
}

TEST(MigmSource, ARefusalBeforeFreezingTouchesNothing) {
  for (const char* at : {"describe", "propose"}) {
    FakeSource source;
    source.fail_at = at;
    MigrationRecord record = run(source);
    EXPECT_EQ(record.error, int32_t(Error::kOutOfMemory)) << at;
    EXPECT_EQ(source.calls.back(), at);  // no thaw, no abort: nothing was done
    EXPECT_NE(std::string(record.reason).find("the fake says no"), std::string::npos);
  }
}

TEST(MigmSource, AFailureAfterProposingAbortsTheDestinationAndThawsAFrozenProcess) {
  struct Case {
    const char* at;
    std::vector<std::string> tail;
  };
  for (const Case& c : {Case{"freeze", steps({"freeze", "abort"})},
                        Case{"memory", steps({"memory", "thaw", "abort"})},
                        Case{"ports", steps({"ports", "thaw", "abort"})},
                        Case{"process", steps({"process", "thaw", "abort"})},
                        Case{"commit", steps({"commit", "thaw", "abort"})}}) {
    FakeSource source;
    source.fail_at = c.at;
    MigrationRecord record = run(source);
    EXPECT_NE(record.error, 0) << c.at;
    std::vector<std::string> tail(source.calls.end() - c.tail.size(), source.calls.end());
    EXPECT_EQ(tail, c.tail) << c.at;
    EXPECT_EQ(std::string(record.reason)
                  .rfind(c.at == std::string("freeze")    ? "freeze: "
                         : c.at == std::string("memory")  ? "memory: "
                         : c.at == std::string("ports")   ? "ports: "
                         : c.at == std::string("process") ? "process: "
                                                          : "commit: ",
                         0),
              0u)
        << record.reason;
  }
}

TEST(MigmSource, AGoneDestinationAtCommitLeavesTheProcessRunningHere) {
  FakeSource source;
  source.fail_at = "commit";
  source.error = Error::kNotFound;
  MigrationRecord record = run(source);
  EXPECT_EQ(record.error, int32_t(Error::kNotFound));
  EXPECT_EQ(source.calls.back(), "abort");
  EXPECT_EQ(source.calls[source.calls.size() - 2], "thaw");
}

TEST(MigmSource, AnUnansweredCommitIsAskedAgain) {
  FakeSource source;
  source.commit_timeouts = 2;
  MigrationRecord record = run(source);
  EXPECT_EQ(record.error, 0) << record.reason;
  EXPECT_EQ(source.calls, steps({"describe", "propose", "freeze", "memory", "ports", "process",
                                 "commit", "commit", "commit", "release"}));
}

TEST(MigmSource, ACommitNeverAnsweredNeverThaws) {
  FakeSource source;
  source.commit_timeouts = 3;
  MigrationRecord record = run(source);
  EXPECT_EQ(record.error, int32_t(Error::kTimedOut));
  for (const std::string& call : source.calls) EXPECT_NE(call, "thaw");  // may run there
  for (const std::string& call : source.calls) EXPECT_NE(call, "release");
}

// Destination servers that log and can be told to fail.
class FakeDestination final : public DestinationSteps {
 public:
  uint64_t free = 100000;
  CpuFeatures offered = kWithAvx2;
  std::vector<std::string> calls;
  std::string fail_at;

  Result<uint64_t> free_pages() override { return free; }
  CpuFeatures features() override { return offered; }
  Result<void> prepare(const Proposal&) override { return step("prepare"); }
  Result<void> commit(uint64_t) override { return step("commit"); }
  Result<void> abort(uint64_t) override { return step("abort"); }
  const char* reason() override { return "pm says no"; }

 private:
  Result<void> step(const char* name) {
    calls.push_back(name);
    if (fail_at == name) return Err(Error::kBusy);
    return success();
  }
};

Proposal proposal(CpuFeatures features = kBasic, uint64_t resident = 25) {
  return Proposal{protocols::migm::kMigrationVersion,           kIsaX86_64, Strategy::kEager, kId,
                  {kPid, 1, resident, 16384, 10, 0, "counter"}, features};
}

TEST(MigmDestination, AcceptsPreparesAndCommits) {
  FakeDestination steps;
  Incoming incoming(steps);
  EXPECT_EQ(incoming.propose(proposal(), 0, 0).error, 0);
  EXPECT_EQ(incoming.pending(), 1u);
  EXPECT_EQ(incoming.propose(proposal(), 0, 0).error, int32_t(Error::kAlreadyExists));
  EXPECT_EQ(incoming.commit(kId, kPid).error, 0);
  EXPECT_EQ(incoming.pending(), 0u);
  EXPECT_EQ(incoming.commit(kId, kPid).error, int32_t(Error::kNotFound));
  EXPECT_EQ(steps.calls, (std::vector<std::string>{"prepare", "commit"}));
}

TEST(MigmDestination, RefusesMissingFeaturesByName) {
  FakeDestination steps;
  steps.offered = kBasic;
  Incoming incoming(steps);
  PeerAnswer a = incoming.propose(proposal(kWithAvx2), 0, 0);
  EXPECT_EQ(a.error, int32_t(Error::kNotSupported));
  EXPECT_STREQ(a.reason, "the destination's CPU lacks avx,avx2");
  EXPECT_TRUE(steps.calls.empty());
}

TEST(MigmDestination, RefusesWithoutEnoughMemorySayingHowMuch) {
  FakeDestination steps;
  steps.free = 1000;
  Incoming incoming(steps);
  PeerAnswer a = incoming.propose(proposal(kBasic, 16384), 0, 0);
  EXPECT_EQ(a.error, int32_t(Error::kOutOfMemory));
  EXPECT_STREQ(a.reason, "not enough memory on the destination: 16640 pages needed, 1000 free");
}

TEST(MigmDestination, RefusesAnotherVersionIsaOrStrategy) {
  FakeDestination steps;
  Incoming incoming(steps);
  Proposal p = proposal();
  p.version = 99;
  EXPECT_EQ(incoming.propose(p, 0, 0).error, int32_t(Error::kNotSupported));
  p = proposal();
  p.isa = 183;  // EM_AARCH64
  PeerAnswer other_isa = incoming.propose(p, 0, 0);
  EXPECT_EQ(other_isa.error, int32_t(Error::kNotSupported));
  EXPECT_STREQ(other_isa.reason, "the destination runs another instruction set");
  p = proposal();
  p.strategy = static_cast<Strategy>(42);
  EXPECT_EQ(incoming.propose(p, 0, 0).error, int32_t(Error::kNotSupported));
  EXPECT_EQ(incoming.pending(), 0u);
}

TEST(MigmDestination, AcceptsTheStrategiesWithAPlanAndRefusesTheOthers) {
  for (Strategy strategy : {Strategy::kPrecopy, Strategy::kLazy, Strategy::kPostcopy,
                            Strategy::kFlush, Strategy::kEagerDirty}) {
    FakeDestination steps;
    Incoming incoming(steps);
    Proposal p = proposal();
    p.strategy = strategy;
    EXPECT_EQ(incoming.propose(p, 0, 0).error, 0) << protocols::migm::strategy_name(strategy);
  }
  for (Strategy strategy : {Strategy::kAuto}) {
    FakeDestination steps;
    Incoming incoming(steps);
    Proposal p = proposal();
    p.strategy = strategy;
    PeerAnswer a = incoming.propose(p, 0, 0);
    EXPECT_EQ(a.error, int32_t(Error::kNotSupported)) << protocols::migm::strategy_name(strategy);
    EXPECT_TRUE(steps.calls.empty());
  }
}

TEST(MigmDestination, AFailedPrepareOrCommitLeavesNothingPrepared) {
  FakeDestination steps;
  steps.fail_at = "prepare";
  Incoming incoming(steps);
  PeerAnswer a = incoming.propose(proposal(), 0, 0);
  EXPECT_EQ(a.error, int32_t(Error::kBusy));
  EXPECT_STREQ(a.reason, "pm says no");
  EXPECT_EQ(incoming.pending(), 0u);
  steps.fail_at = "commit";
  ASSERT_EQ(incoming.propose(proposal(), 0, 0).error, 0);
  EXPECT_EQ(incoming.commit(kId, kPid).error, int32_t(Error::kBusy));
  EXPECT_EQ(steps.calls.back(), "abort");
  EXPECT_EQ(incoming.pending(), 0u);
}

TEST(MigmDestination, AbortsOnRequestAndWhenTheSourceFallsSilent) {
  FakeDestination steps;
  Incoming incoming(steps);
  ASSERT_EQ(incoming.propose(proposal(), 0, 0).error, 0);
  EXPECT_EQ(incoming.abort(kId, kPid).error, 0);
  EXPECT_EQ(incoming.abort(kId, kPid).error, int32_t(Error::kNotFound));
  ASSERT_EQ(incoming.propose(proposal(), 0, 1000).error, 0);
  EXPECT_EQ(incoming.expire(1000 + kPreparedLifetimeNs - 1), 0u);
  EXPECT_EQ(incoming.expire(1000 + kPreparedLifetimeNs), 1u);
  EXPECT_EQ(incoming.pending(), 0u);
  EXPECT_EQ(steps.calls, (std::vector<std::string>{"prepare", "abort", "prepare", "abort"}));
}

TEST(MigmDestination, BoundsMigrationsInFlight) {
  FakeDestination steps;
  Incoming incoming(steps);
  for (uint64_t i = 0; i < kIncomingMax; ++i) {
    Proposal p = proposal();
    p.migration_id = i + 1;
    ASSERT_EQ(incoming.propose(p, 0, 0).error, 0);
  }
  EXPECT_EQ(incoming.propose(proposal(), 0, 0).error, int32_t(Error::kBusy));
}

TEST(MigmCpuFeatures, NamesWhatIsMissing) {
  char out[64];
  EXPECT_EQ(missing_features(kBasic, kWithAvx2, out, sizeof(out)), 0u);
  EXPECT_STREQ(out, "");
  EXPECT_EQ(missing_features(kWithAvx2, kBasic, out, sizeof(out)), 2u);
  EXPECT_STREQ(out, "avx,avx2");
  char tiny[5];
  EXPECT_EQ(missing_features(kWithAvx2, kBasic, tiny, sizeof(tiny)), 2u);
  EXPECT_STREQ(tiny, "avx,");
}

// ---- The other plans (issue 7).

MigrationRecord run_plan(FakeSource& source, Strategy strategy, PrecopyParams params = {}) {
  return run_plan(source, MigrationPlan{kPid, 0, 2, kId, strategy, params}, kBasic);
}

TEST(MigmPrecopy, TheStopRuleStopsSmallNotShrinkingOrAtTheLimit) {
  PrecopyParams p{5, 64, 80};
  EXPECT_EQ(precopy_next(p, 1, 16384, UINT64_MAX), PrecopyDecision::kAnotherRound);
  EXPECT_EQ(precopy_next(p, 1, 64, UINT64_MAX), PrecopyDecision::kStopSmall);
  EXPECT_EQ(precopy_next(p, 2, 65, 16384), PrecopyDecision::kAnotherRound);
  EXPECT_EQ(precopy_next(p, 2, 800, 1000), PrecopyDecision::kAnotherRound);  // exactly 80%
  EXPECT_EQ(precopy_next(p, 2, 801, 1000), PrecopyDecision::kStopNotShrinking);
  EXPECT_EQ(precopy_next(p, 3, 2000, 1000), PrecopyDecision::kStopNotShrinking);
  EXPECT_EQ(precopy_next(p, 5, 100, 1000), PrecopyDecision::kStopRoundLimit);
  EXPECT_EQ(precopy_next(p, 5, 10, 1000), PrecopyDecision::kStopSmall);  // small wins
  // No overflow near the top of the range.
  EXPECT_EQ(precopy_next(p, 2, UINT64_MAX - 1, UINT64_MAX - 1), PrecopyDecision::kStopNotShrinking);
  EXPECT_EQ(precopy_next(PrecopyParams{1, 0, 80}, 1, 5, UINT64_MAX),
            PrecopyDecision::kStopRoundLimit);
  EXPECT_STREQ(decision_name(PrecopyDecision::kStopNotShrinking), "not shrinking");
}

TEST(MigmPrecopy, CopiesWhileRunningThenFreezesForTheLastDirtyPages) {
  FakeSource source;
  source.round_pages = {16384, 2000, 300, 40, 12};
  MigrationRecord record = run_plan(source, Strategy::kPrecopy);
  EXPECT_EQ(record.error, 0) << record.reason;
  EXPECT_EQ(source.calls, steps({"describe", "propose", "first", "dirty", "dirty", "dirty",
                                 "freeze", "dirty", "ports", "process", "commit", "release"}));
  EXPECT_EQ(record.rounds, 4u);  // the fourth sent 40 <= 64 pages: freeze
  EXPECT_EQ(record.pages_sent, 16384u + 2000 + 300 + 40 + 12);
  EXPECT_EQ(record.strategy, Strategy::kPrecopy);
  EXPECT_EQ(source.proposed.strategy, Strategy::kPrecopy);
  EXPECT_GT(record.precopy_ns, 0u);
  EXPECT_LT(record.freeze_ns, record.total_ns - record.precopy_ns);
}

TEST(MigmPrecopy, StopsWhenTheDirtySetStopsShrinkingAndAtTheRoundLimit) {
  FakeSource source;
  source.round_pages = {16384, 3000, 2900};
  MigrationRecord record = run_plan(source, Strategy::kPrecopy);
  EXPECT_EQ(record.error, 0) << record.reason;
  EXPECT_EQ(record.rounds, 3u);
  FakeSource limited;
  limited.round_pages = {16384, 8000, 4000, 2000};
  record = run_plan(limited, Strategy::kPrecopy, PrecopyParams{2, 64, 80});
  EXPECT_EQ(record.rounds, 2u);
  EXPECT_EQ(limited.calls, steps({"describe", "propose", "first", "dirty", "freeze", "dirty",
                                  "ports", "process", "commit", "release"}));
}

TEST(MigmPrecopy, ALiveRoundThatFailsAbortsWithoutFreezing) {
  for (const char* at : {"first", "dirty"}) {
    FakeSource source;
    source.fail_at = at;
    source.round_pages = {16384, 2000};
    MigrationRecord record = run_plan(source, Strategy::kPrecopy);
    EXPECT_NE(record.error, 0) << at;
    EXPECT_EQ(std::string(record.reason).rfind("precopy: ", 0), 0u) << record.reason;
    EXPECT_EQ(source.calls.back(), "abort") << at;
    for (const std::string& call : source.calls) {
      EXPECT_NE(call, "freeze") << at;  // it never stopped running
      EXPECT_NE(call, "thaw") << at;
    }
  }
}

TEST(MigmPrecopy, AFailureAfterTheFreezeThawsAndAborts) {
  for (const char* at : {"freeze", "ports", "process", "commit"}) {
    FakeSource source;
    source.fail_at = at;
    source.round_pages = {10};
    MigrationRecord record = run_plan(source, Strategy::kPrecopy);
    EXPECT_NE(record.error, 0) << at;
    EXPECT_EQ(source.calls.back(), "abort") << at;
    bool thawed = false;
    for (const std::string& call : source.calls) thawed |= call == "thaw";
    EXPECT_EQ(thawed, std::string(at) != "freeze") << at;
    for (const std::string& call : source.calls) EXPECT_NE(call, "release") << at;
  }
  // The frozen last round (the second "dirty" here) failing.
  FakeSource source;
  source.round_pages = {16384, 10};
  source.fail_at = "dirty";
  MigrationRecord record = run_plan(source, Strategy::kPrecopy);
  EXPECT_NE(record.error, 0);
}

TEST(MigmLazy, MovesOnlyThePageMapWhileFrozen) {
  for (Strategy strategy : {Strategy::kLazy, Strategy::kPostcopy}) {
    FakeSource source;
    source.round_pages = {1};  // the ProcessStart page travels with the map
    MigrationRecord record = run_plan(source, strategy);
    EXPECT_EQ(record.error, 0) << record.reason;
    const char* map = strategy == Strategy::kLazy ? "map" : "map+push";
    EXPECT_EQ(source.calls, steps({"describe", "propose", "freeze", map, "ports", "process",
                                   "commit", "release"}));
    EXPECT_EQ(record.pages_sent, 1u);
    EXPECT_EQ(record.rounds, 0u);
    EXPECT_EQ(source.proposed.strategy, strategy);
  }
}

TEST(MigmStore, FlushPutsThePagesWhileFrozenAndCountsTheStoreBytes) {
  FakeSource source;
  source.round_pages = {25};  // put to the store, counted by mm with the map
  MigrationRecord record = run_plan(source, Strategy::kFlush);
  EXPECT_EQ(record.error, 0) << record.reason;
  EXPECT_EQ(source.calls, steps({"describe", "propose", "freeze", "flush", "ports", "process",
                                 "commit", "release"}));
  EXPECT_EQ(record.bytes_sent, 25u * 4096 + 100 + 200 + 1000);
  EXPECT_EQ(record.rounds, 0u);
  EXPECT_EQ(record.residual_done, 1u);  // the source owes nothing
  EXPECT_EQ(source.proposed.strategy, Strategy::kFlush);
}

TEST(MigmStore, EagerDirtySavesWhileRunningThenSendsTheDirtyPagesFrozen) {
  FakeSource source;
  source.round_pages = {2048, 12};  // the save, then the pages dirtied since
  MigrationRecord record = run_plan(source, Strategy::kEagerDirty);
  EXPECT_EQ(record.error, 0) << record.reason;
  EXPECT_EQ(source.calls, steps({"describe", "propose", "save", "freeze", "dirty+map", "ports",
                                 "process", "commit", "release"}));
  EXPECT_EQ(record.rounds, 1u);
  EXPECT_GT(record.precopy_ns, 0u);
  EXPECT_EQ(record.pages_sent, 2048u + 12);
  EXPECT_EQ(record.residual_done, 1u);
}

TEST(MigmStore, AStoreRefusalBeforeCommitThawsDropsTheStoresPagesAndAborts) {
  // flush: the put refused (store full) while frozen.
  {
    FakeSource source;
    source.fail_at = "flush";
    MigrationRecord record = run_plan(source, Strategy::kFlush);
    EXPECT_EQ(record.error, int32_t(Error::kOutOfMemory));
    EXPECT_EQ(source.calls,
              steps({"describe", "propose", "freeze", "flush", "thaw", "store-drop", "abort"}));
    EXPECT_EQ(std::string(record.reason).rfind("memory: ", 0), 0u) << record.reason;
  }
  // eager-dirty: the live save refused: never frozen, so never thawed.
  {
    FakeSource source;
    source.fail_at = "save";
    MigrationRecord record = run_plan(source, Strategy::kEagerDirty);
    EXPECT_EQ(record.error, int32_t(Error::kOutOfMemory));
    EXPECT_EQ(source.calls, steps({"describe", "propose", "save", "store-drop", "abort"}));
    EXPECT_EQ(std::string(record.reason).rfind("store: ", 0), 0u) << record.reason;
  }
  // Later failures, frozen: thaw, the store forgets the process, the destination aborts.
  for (Strategy strategy : {Strategy::kFlush, Strategy::kEagerDirty}) {
    for (const char* at : {"dirty+map", "ports", "process", "commit"}) {
      if (strategy == Strategy::kFlush && std::string(at) == "dirty+map") continue;
      FakeSource source;
      source.fail_at = at;
      MigrationRecord record = run_plan(source, strategy);
      EXPECT_NE(record.error, 0) << at;
      std::vector<std::string> tail(source.calls.end() - 4, source.calls.end());
      EXPECT_EQ(tail, steps({at, "thaw", "store-drop", "abort"})) << at;
    }
  }
  // Before the store was asked there is nothing of it there to drop; after eager-dirty's
  // save there is, even if the freeze fails.
  for (Strategy strategy : {Strategy::kFlush, Strategy::kEagerDirty}) {
    for (const char* at : {"propose", "freeze"}) {
      FakeSource source;
      source.fail_at = at;
      MigrationRecord record = run_plan(source, strategy);
      EXPECT_NE(record.error, 0) << at;
      bool dropped = false;
      for (const std::string& call : source.calls) dropped |= call == "store-drop";
      EXPECT_EQ(dropped, strategy == Strategy::kEagerDirty && std::string(at) == "freeze") << at;
    }
  }
}

TEST(MigmLazy, AFailureBeforeCommitThawsAbortsAndDropsTheKeptPages) {
  for (const char* at : {"ports", "process", "commit"}) {
    FakeSource source;
    source.fail_at = at;
    MigrationRecord record = run_plan(source, Strategy::kLazy);
    EXPECT_NE(record.error, 0) << at;
    std::vector<std::string> tail(source.calls.end() - 4, source.calls.end());
    EXPECT_EQ(tail, steps({at, "thaw", "drop", "abort"})) << at;
  }
  // Before mm kept anything there is nothing to drop.
  for (const char* at : {"freeze", "map"}) {
    FakeSource source;
    source.fail_at = at;
    MigrationRecord record = run_plan(source, Strategy::kLazy);
    EXPECT_NE(record.error, 0) << at;
    EXPECT_EQ(source.calls.back(), "abort") << at;
    bool dropped = false;
    for (const std::string& call : source.calls) dropped |= call == "drop";
    // Once the map was asked for, mm may have kept pages: the undo drops them.
    EXPECT_EQ(dropped, std::string(at) == "map") << at;
  }
}

TEST(MigmPlans, AStrategyWithoutAPlanIsRefusedBeforeAnything) {
  for (Strategy strategy : {Strategy::kAuto, static_cast<Strategy>(42)}) {
    FakeSource source;
    MigrationRecord record = run_plan(source, strategy);
    EXPECT_EQ(record.error, int32_t(Error::kNotSupported));
    EXPECT_TRUE(source.calls.empty());
  }
  EXPECT_TRUE(has_plan(Strategy::kEager));
  EXPECT_TRUE(has_plan(Strategy::kPrecopy));
  EXPECT_TRUE(has_plan(Strategy::kLazy));
  EXPECT_TRUE(has_plan(Strategy::kPostcopy));
  EXPECT_TRUE(has_plan(Strategy::kFlush));
  EXPECT_TRUE(has_plan(Strategy::kEagerDirty));
}

TEST(MigmPlans, StrategyNamesRoundTrip) {
  for (Strategy strategy :
       {Strategy::kEager, Strategy::kPrecopy, Strategy::kLazy, Strategy::kPostcopy,
        Strategy::kFlush, Strategy::kEagerDirty, Strategy::kAuto}) {
    Strategy parsed{};
    ASSERT_TRUE(protocols::migm::parse_strategy(protocols::migm::strategy_name(strategy), parsed));
    EXPECT_EQ(parsed, strategy);
  }
  Strategy parsed{};
  EXPECT_TRUE(protocols::migm::parse_strategy("eager-dirty", parsed));
  EXPECT_EQ(uint32_t(parsed), 6u);
  EXPECT_FALSE(protocols::migm::parse_strategy("lazyx", parsed));
  EXPECT_FALSE(protocols::migm::parse_strategy("lazy ", parsed));
  EXPECT_FALSE(protocols::migm::parse_strategy("", parsed));
  EXPECT_EQ(uint32_t(Strategy::kPrecopy), 2u);
  EXPECT_EQ(uint32_t(Strategy::kLazy), 3u);
  EXPECT_EQ(uint32_t(Strategy::kPostcopy), 4u);
  EXPECT_EQ(uint32_t(Strategy::kFlush), 5u);
  EXPECT_EQ(uint32_t(Strategy::kAuto), 7u);
}

}  // namespace
}  // namespace atoll_os::servers::migm
