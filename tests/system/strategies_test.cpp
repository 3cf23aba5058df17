// The strategies beyond eager on a three-node cluster (docs/strategies.md): under precopy,
// lazy and postcopy, counter and memtouch go on as if nothing happened, idle and while
// writing; a lazily moved process that exits lets its source free every page it kept; and a
// lazily moved process whose source node dies is killed with a reason instead of hanging.
// Under flush and eager-dirty (the page store on node 2) the same programs go on, a flushed
// process outlives its source node, and a full store fails the move before commit.
#include <gtest/gtest.h>

#include <iostream>
#include <thread>

#include "hostlib/guest_program.h"
#include "hostlib/migration.h"
#include "support/cluster_fixture.h"

namespace atoll_os::host::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kProgramWait = 60s;

class StrategiesClusterTest : public ClusterFixture {
 protected:
  /// Migrates `program` from `from` to `to` with `strategy` and follows it there.
  MigrationRecord move(GuestProgram& program, unsigned from, unsigned to,
                       const std::string& strategy) {
    auto record = migrate(ctl(from), program.pid(), to, strategy);
    EXPECT_TRUE(is_ok(record));
    if (!record) return {};
    EXPECT_TRUE(record->ok) << describe(*record);
    EXPECT_EQ(record->strategy, strategy);
    std::cerr << describe(*record) << " rounds " << record->rounds << std::endl;
    if (record->ok) program.follow_to(ctl(to));
    return *record;
  }

  uint64_t free_frames(unsigned node) {
    auto mem = ctl(node).command_ok("mem", kClusterReplyWait);
    EXPECT_TRUE(is_ok(mem));
    return mem ? mem->uint64_at("free_frames").value_or(0) : 0;
  }

  // Memtouch reports `reports` more checksums on its node, and none of them a mismatch.
  void expect_intact(GuestProgram& memtouch, int reports) {
    for (int i = 0; i < reports; ++i) {
      ASSERT_TRUE(is_ok(memtouch.wait_for_line(LogPattern::substring("checksum"), kProgramWait)))
          << memtouch.describe();
    }
    EXPECT_FALSE(memtouch.last_line_with("MISMATCH")) << memtouch.describe();
  }
};

class StrategiesTest : public SharedCluster<StrategiesClusterTest> {};

TEST_F(StrategiesTest, CounterMovesUnderEveryStrategyAndItsSequenceStaysUnbroken) {
  constexpr uint64_t kCount = 120;
  auto counter = GuestProgram::start(ctl(0), "counter 120 100", kProgramWait);
  ASSERT_TRUE(is_ok(counter));
  ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::substring("counter: 3 "), kProgramWait)));
  struct Move {
    unsigned to;
    const char* strategy;
  };
  unsigned at = 0;
  // A lazy move, then moves on from there: its pages still at node 1 come along first.
  for (Move m : {Move{1, "precopy"}, Move{2, "lazy"}, Move{0, "postcopy"}, Move{1, "lazy"},
                 Move{2, "eager"}}) {
    MigrationRecord record = move(*counter, at, m.to, m.strategy);
    ASSERT_TRUE(record.ok);
    at = m.to;
    ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::regex("counter: [0-9]+ "), kProgramWait)))
        << counter->describe();
  }
  auto exit = counter->wait_exit(kProgramWait);
  ASSERT_TRUE(is_ok(exit)) << counter->describe();
  EXPECT_EQ(exit->code, 0) << counter->describe();
  auto values = check_counter_lines(counter->lines());
  ASSERT_TRUE(is_ok(values));
  EXPECT_EQ(*values, kCount);
}

// memtouch idle (a page a second) and writing (300 pages a second of 2048), under each
// strategy: every page it wrote reads back as written on the destination.
TEST_F(StrategiesTest, MemtouchKeepsEveryPageUnderEveryStrategyIdleAndWriting) {
  for (const char* rate : {"1", "300"}) {
    for (const char* strategy : {"precopy", "lazy", "postcopy"}) {
      SCOPED_TRACE(std::string(strategy) + " at " + rate + " pages/s");
      auto memtouch = GuestProgram::start(ctl(0), std::string("memtouch 8M ") + rate, kProgramWait);
      ASSERT_TRUE(is_ok(memtouch));
      ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 1));
      MigrationRecord record = move(*memtouch, 0, 1, strategy);
      ASSERT_TRUE(record.ok);
      if (std::string(strategy) == "precopy") {
        EXPECT_GE(record.rounds, 1u);
        EXPECT_GE(record.pages_sent, 2048u);  // every page at least once, while it ran
      } else {
        EXPECT_LE(record.pages_sent, 1u);  // the map only (and the start page)
      }
      ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 3));
      ASSERT_TRUE(is_ok(memtouch->kill(kProgramWait)));
      if (std::string(strategy) != "precopy") {
        // Every page fetched (postcopy streams them) or the process ended (lazy: pages it
        // never touched there stay at the source until then): the source holds nothing,
        // and its record says what the residual dependency cost.
        HostResult<MigrationRecord> residual = migration_record(ctl(0), record.migration_id);
        for (int i = 0; i < 50 && is_ok(residual) && !residual->residual_done; ++i) {
          std::this_thread::sleep_for(200ms);
          residual = migration_record(ctl(0), record.migration_id);
        }
        ASSERT_TRUE(is_ok(residual));
        EXPECT_TRUE(residual->residual_done);
        EXPECT_GT(residual->residual_ms, 0u);
        EXPECT_GT(residual->remote_faults, 0u);
        EXPECT_GE(residual->remote_fault_ns, residual->remote_faults * 1000);
        std::cerr << strategy << ": residual " << residual->residual_ms << " ms, "
                  << residual->remote_faults << " remote faults, "
                  << residual->remote_fault_ns / 1000000.0 << " ms waiting for them" << std::endl;
      }
    }
  }
}

TEST_F(StrategiesTest, AProcessEndingWithPagesAtTheSourceLetsTheSourceFreeThemAll) {
  // A first round warms the servers' heaps (their pages stay theirs). A page link's stream
  // may keep its few buffer pages in mm after it closes (net_client.h): kSlack allows them,
  // against the 8192 pages of the process.
  constexpr uint64_t kSlack = 16;
  for (int round = 0; round < 2; ++round) {
    const uint64_t before = free_frames(0);
    auto memtouch = GuestProgram::start(ctl(0), "memtouch 32M 1", kProgramWait);
    ASSERT_TRUE(is_ok(memtouch));
    ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 1));
    auto record = migrate(ctl(0), memtouch->pid(), 1, "lazy");
    ASSERT_TRUE(is_ok(record));
    ASSERT_TRUE(record->ok) << describe(*record);
    memtouch->follow_to(ctl(1));
    ASSERT_TRUE(is_ok(memtouch->kill(kProgramWait)));  // before it has touched most pages
    uint64_t after = 0;
    for (int i = 0; i < 50 && (after = free_frames(0)) + kSlack < before; ++i) {
      std::this_thread::sleep_for(200ms);
    }
    if (round == 1) {
      EXPECT_GE(after + kSlack, before) << "node 0 keeps " << before - after << " frames";
    }
  }
  cluster()->node(0).poll_log();
  EXPECT_TRUE(
      cluster()->node(0).log().contains(LogPattern::substring("no longer needs this node")));
}

class LazySourceDeathTest : public PerTestCluster<StrategiesClusterTest> {};

TEST_F(LazySourceDeathTest, AProcessWhosePagesSourceDiesIsKilledWithAReasonNotHung) {
  auto memtouch = GuestProgram::start(ctl(0), "memtouch 64M 1", kProgramWait);
  ASSERT_TRUE(is_ok(memtouch));
  ASSERT_TRUE(is_ok(memtouch->wait_for_line(LogPattern::substring("checksum"), 180s)));
  auto record = migrate(ctl(0), memtouch->pid(), 1, "lazy");
  ASSERT_TRUE(is_ok(record));
  ASSERT_TRUE(record->ok) << describe(*record);
  memtouch->follow_to(ctl(1));
  cluster()->kill_node(0);
  auto exit = memtouch->wait_exit(60s);
  ASSERT_TRUE(is_ok(exit)) << "no end within a minute: " << memtouch->describe();
  EXPECT_FALSE(exit->succeeded()) << exit->state;
  std::cerr << "memtouch ended: " << exit->state << " " << exit->code << std::endl;
  cluster()->node(1).poll_log();
  EXPECT_TRUE(cluster()->node(1).log().contains(
      LogPattern::substring("its pages at the source cannot be had")));
  // The node goes on: a new process runs there.
  auto counter = GuestProgram::start(ctl(1), "counter 3 10", kProgramWait);
  ASSERT_TRUE(is_ok(counter));
  auto done = counter->wait_exit(kProgramWait);
  ASSERT_TRUE(is_ok(done));
  EXPECT_EQ(done->code, 0);
}

// ---- flush and eager-dirty: the page store on node 2, neither source nor destination.

/// Three nodes, the page store on node 2 with `pages` of memory (no disk).
class StoreStrategiesTest : public StrategiesClusterTest {
 protected:
  Cluster* cluster() override { return cluster_.get(); }

  void boot(uint64_t store_pages) {
    ClusterConfig config;
    config.name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    config.nodes = kClusterNodes;
    config.pagestore_node = kStoreNode;
    config.pagestore_pages = store_pages;
    auto created = Cluster::create(config);
    ASSERT_TRUE(is_ok(created));
    cluster_ = created.release_value();
    ASSERT_TRUE(is_ok(cluster_->start()));
    ASSERT_TRUE(is_ok(cluster_->wait_ready(kNodeWait)));
  }

  /// Whether node `node`'s log says (so far) `text`.
  bool logged(unsigned node, const std::string& text) {
    cluster()->node(node).poll_log();
    return cluster()->node(node).log().contains(LogPattern::substring(text));
  }

  static constexpr unsigned kStoreNode = 2;

 private:
  std::unique_ptr<Cluster> cluster_;
};

TEST_F(StoreStrategiesTest, CounterAndMemtouchGoOnUnderFlushAndEagerDirty) {
  ASSERT_NO_FATAL_FAILURE(boot(16384));
  constexpr uint64_t kCount = 100;
  auto counter = GuestProgram::start(ctl(0), "counter 100 100", kProgramWait);
  ASSERT_TRUE(is_ok(counter));
  ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::substring("counter: 3 "), kProgramWait)));
  unsigned at = 0;
  // Moves back and forth: a process moved by flush moves on (its pages still in the store
  // come first).
  for (const char* strategy : {"flush", "eager-dirty", "flush"}) {
    unsigned to = 1 - at;
    MigrationRecord record = move(*counter, at, to, strategy);
    ASSERT_TRUE(record.ok);
    EXPECT_GT(record.bytes_sent, 4096u) << strategy;  // the pages put to the store count
    at = to;
    ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::regex("counter: [0-9]+ "), kProgramWait)))
        << counter->describe();
  }
  auto exit = counter->wait_exit(kProgramWait);
  ASSERT_TRUE(is_ok(exit)) << counter->describe();
  EXPECT_EQ(exit->code, 0) << counter->describe();
  auto values = check_counter_lines(counter->lines());
  ASSERT_TRUE(is_ok(values));
  EXPECT_EQ(*values, kCount);

  for (const char* rate : {"1", "300"}) {
    for (const char* strategy : {"flush", "eager-dirty"}) {
      SCOPED_TRACE(std::string(strategy) + " at " + rate + " pages/s");
      auto memtouch = GuestProgram::start(ctl(0), std::string("memtouch 8M ") + rate, kProgramWait);
      ASSERT_TRUE(is_ok(memtouch));
      ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 1));
      MigrationRecord record = move(*memtouch, 0, 1, strategy);
      ASSERT_TRUE(record.ok);
      // Every resident page went to the store (and, for eager-dirty, those dirtied since
      // went on directly): the store's puts are in bytes_sent.
      EXPECT_GE(record.bytes_sent, 2048u * 4096) << describe(record);
      EXPECT_TRUE(record.residual_done);  // the source owes nothing after commit
      if (std::string(strategy) == "eager-dirty") {
        EXPECT_EQ(record.rounds, 1u);
      }
      ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 3));
      ASSERT_TRUE(is_ok(memtouch->kill(kProgramWait)));
    }
  }
  // The destination dropped each process's pages from the store (all fetched, or ended).
  for (int i = 0; i < 50 && !logged(1, "needs the page store no more"); ++i) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(logged(1, "needs the page store no more"));
}

TEST_F(StoreStrategiesTest, AfterFlushTheSourceNodeDiesAndTheProcessRunsOn) {
  ASSERT_NO_FATAL_FAILURE(boot(16384));
  auto memtouch = GuestProgram::start(ctl(0), "memtouch 8M 50", kProgramWait);
  ASSERT_TRUE(is_ok(memtouch));
  ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 1));
  MigrationRecord record = move(*memtouch, 0, 1, "flush");
  ASSERT_TRUE(record.ok);
  cluster()->kill_node(0);
  // Its pages come from the store on node 2: it reads every one of them, as written.
  ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 4));
  ASSERT_TRUE(is_ok(memtouch->kill(kProgramWait)));
}

TEST_F(StoreStrategiesTest, AFullStoreFailsTheMigrationBeforeCommitAndTheProcessRunsOnHere) {
  ASSERT_NO_FATAL_FAILURE(boot(256));  // 1 MiB: memtouch 8M does not fit
  auto memtouch = GuestProgram::start(ctl(0), "memtouch 8M 50", kProgramWait);
  ASSERT_TRUE(is_ok(memtouch));
  ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 1));
  for (const char* strategy : {"flush", "eager-dirty"}) {
    SCOPED_TRACE(strategy);
    auto record = migrate(ctl(0), memtouch->pid(), 1, strategy);
    ASSERT_TRUE(is_ok(record));
    EXPECT_FALSE(record->ok);
    EXPECT_EQ(record->error, "out_of_memory") << describe(*record);
    EXPECT_NE(record->reason.find("store full"), std::string::npos) << describe(*record);
    std::cerr << describe(*record) << std::endl;
    EXPECT_TRUE(runs_process(ctl(0), memtouch->pid()));
    EXPECT_FALSE(runs_process(ctl(1), memtouch->pid()));
    ASSERT_NO_FATAL_FAILURE(expect_intact(*memtouch, 2));
  }
  // The refused migrations left nothing in the store: a small process fits and moves.
  auto counter = GuestProgram::start(ctl(0), "counter 40 100", kProgramWait);
  ASSERT_TRUE(is_ok(counter));
  ASSERT_TRUE(is_ok(counter->wait_for_line(LogPattern::substring("counter: 3 "), kProgramWait)));
  MigrationRecord moved = move(*counter, 0, 1, "flush");
  EXPECT_TRUE(moved.ok);
  auto exit = counter->wait_exit(kProgramWait);
  ASSERT_TRUE(is_ok(exit)) << counter->describe();
  EXPECT_EQ(exit->code, 0);
  ASSERT_TRUE(is_ok(memtouch->kill(kProgramWait)));
}

}  // namespace
}  // namespace atoll_os::host::testing
