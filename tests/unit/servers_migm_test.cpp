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
  Result<SliceCost> send_process(uint64_t, uint64_t, uint32_t) override {
    TRY(step("process"));
    return SliceCost{1000, 0};
  }
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
  EXPECT_EQ(source.calls,
            steps({"describe", "propose", "freeze", "memory", "process", "commit", "release"}));
  EXPECT_EQ(record.bytes_sent, 103400u);
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
  EXPECT_EQ(source.calls, steps({"describe", "propose", "freeze", "memory", "process", "commit",
                                 "commit", "commit", "release"}));
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

}  // namespace
}  // namespace atoll_os::servers::migm
