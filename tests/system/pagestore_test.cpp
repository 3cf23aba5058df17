// The page store end to end: pagestore_probe on one node puts, gets and drops pages at the
// store on another, fills it to its bound and gets a clean refusal, sends malformed requests
// (the store answers and serves on); with a disk attached, pages beyond the memory bound come
// back correct from the disk.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "hostlib/node_address.h"
#include "hostlib/pagestore_bench.h"
#include "support/cluster_fixture.h"

namespace atoll_os::host::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kProbeWait = 120s;
constexpr uint64_t kMemoryPages = 256;

/// The value of `key` in `line`, or "" if it has none.
std::string text_of(const KeyValueLine& line, const char* key) {
  auto text = line.text(key);
  return text ? *text : "";
}

/// A two-node cluster whose page store holds `kMemoryPages` in memory; the disk tests add an
/// image and put the store on node 1 instead.
class PagestoreTest : public ClusterFixture {
 protected:
  Cluster* cluster() override { return cluster_.get(); }

  void boot(unsigned store_node, std::optional<std::filesystem::path> disk) {
    ClusterConfig config;
    config.name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    config.nodes = 2;
    config.pagestore_node = store_node;
    config.pagestore_pages = kMemoryPages;
    config.pagestore_disk = disk;
    auto created = Cluster::create(config);
    ASSERT_TRUE(is_ok(created));
    cluster_ = created.release_value();
    ASSERT_TRUE(is_ok(cluster_->start()));
    ASSERT_TRUE(is_ok(cluster_->wait_ready(kNodeWait)));
    store_ = store_node;
    probe_ = 1 - store_node;
  }

  /// The probe's result line for `mode ARGS` (the store's address first).
  KeyValueLine probe(const std::string& mode, const std::string& arguments = "") {
    auto line = run_pagestore_probe(
        ctl(probe_), mode, address_of(store_).ip + (arguments.empty() ? "" : " ") + arguments,
        kProbeWait);
    EXPECT_TRUE(is_ok(line)) << mode << " " << arguments;
    return line ? *line : KeyValueLine::parse("");
  }

  uint64_t value(const KeyValueLine& line, const char* key) {
    auto v = line.unsigned_at(key);
    EXPECT_TRUE(is_ok(v)) << key << " in " << line.line();
    return v ? *v : ~0ull;
  }

  std::unique_ptr<Cluster> cluster_;
  unsigned store_ = 0;
  unsigned probe_ = 1;
};

TEST_F(PagestoreTest, PutGetDropFromAnotherNodeAndACleanRefusalAtTheBound) {
  ASSERT_NO_FATAL_FAILURE(boot(0, std::nullopt));
  KeyValueLine stats = probe("stats");
  EXPECT_EQ(value(stats, "memory_capacity"), kMemoryPages) << stats.line();
  EXPECT_EQ(value(stats, "memory_pages"), 0u);
  EXPECT_EQ(value(stats, "disk_capacity"), 0u) << "no disk attached";

  // 300 pages against a bound of 256: four batches of 64 fit, the fifth is refused whole.
  KeyValueLine fill = probe("fill", "77 300");
  EXPECT_EQ(value(fill, "stored"), kMemoryPages) << fill.line();
  EXPECT_EQ(text_of(fill, "error"), "out_of_memory") << fill.line();
  EXPECT_NE(fill.line().find("store full"), std::string::npos) << fill.line();
  stats = probe("stats");
  EXPECT_EQ(value(stats, "memory_pages"), kMemoryPages) << stats.line();
  EXPECT_EQ(value(stats, "bytes"), kMemoryPages * 4096);
  EXPECT_EQ(value(stats, "refused"), 1u);
  EXPECT_EQ(value(stats, "pids"), 1u);

  KeyValueLine check = probe("check", "77 300");
  EXPECT_EQ(value(check, "held"), kMemoryPages) << check.line();
  EXPECT_EQ(value(check, "missing"), 300 - kMemoryPages);
  EXPECT_EQ(value(check, "bad"), 0u);
  KeyValueLine other = probe("check", "78 64");
  EXPECT_EQ(value(other, "held"), 0u) << "another PID's pages: " << other.line();

  KeyValueLine drop = probe("drop", "77");
  EXPECT_EQ(value(drop, "dropped"), kMemoryPages) << drop.line();
  stats = probe("stats");
  EXPECT_EQ(value(stats, "memory_pages"), 0u) << stats.line();
  EXPECT_EQ(value(stats, "pids"), 0u);
  // The room is free again.
  fill = probe("fill", "79 256");
  EXPECT_EQ(value(fill, "stored"), 256u) << fill.line();
  EXPECT_FALSE(fill.has("error")) << fill.line();
}

TEST_F(PagestoreTest, MalformedRequestsAreAnsweredAndTheStoreServesOn) {
  ASSERT_NO_FATAL_FAILURE(boot(0, std::nullopt));
  auto run =
      run_program(ctl(probe_), "pagestore_probe garbage " + address_of(store_).ip, kProbeWait);
  ASSERT_TRUE(is_ok(run));
  EXPECT_TRUE(run->exit.succeeded()) << "the stats request after the garbage failed";
  auto line_of = [&](const std::string& name) {
    for (const std::string& line : run->lines) {
      if (line.find("garbage " + name + " ") != std::string::npos) return KeyValueLine::parse(line);
    }
    ADD_FAILURE() << "no line for " << name;
    return KeyValueLine::parse("");
  };
  for (const char* name : {"bad-magic", "unknown-op", "huge-put"}) {
    KeyValueLine line = line_of(name);
    EXPECT_EQ(text_of(line, "replied"), "1") << line.line();
    EXPECT_EQ(text_of(line, "error"), "bad_format") << line.line();
    EXPECT_EQ(text_of(line, "closed"), "1") << "a bad header ends the connection";
  }
  KeyValueLine body = line_of("unaligned-get");
  EXPECT_EQ(text_of(body, "error"), "bad_format") << body.line();
  EXPECT_NE(body.line().find("unaligned address"), std::string::npos) << body.line();
  EXPECT_EQ(text_of(body, "closed"), "0") << "a bad body leaves the connection open";
  cluster_->node(store_).poll_log();
  EXPECT_TRUE(cluster_->node(store_).log().contains(LogPattern::substring("refused a request")));
}

// The store on node 1 with a 1 MiB disk: 256 pages in memory, 256 on disk.
TEST_F(PagestoreTest, PagesBeyondTheMemoryBoundComeBackFromTheDisk) {
  const std::filesystem::path disk =
      std::filesystem::temp_directory_path() / ("atoll-pagestore-" + std::to_string(getpid()));
  {
    std::ofstream image(disk, std::ios::binary | std::ios::trunc);
    image.seekp((1 << 20) - 1);
    image.put('\0');
  }
  ASSERT_NO_FATAL_FAILURE(boot(1, disk));
  KeyValueLine stats = probe("stats");
  EXPECT_EQ(value(stats, "disk_capacity"), 256u) << stats.line();

  KeyValueLine fill = probe("fill", "90 400");
  EXPECT_EQ(value(fill, "stored"), 400u) << fill.line();
  stats = probe("stats");
  EXPECT_EQ(value(stats, "memory_pages"), kMemoryPages) << stats.line();
  EXPECT_EQ(value(stats, "disk_pages"), 400 - kMemoryPages);
  EXPECT_EQ(value(stats, "spilled"), 400 - kMemoryPages);
  KeyValueLine check = probe("check", "90 400");
  EXPECT_EQ(value(check, "held"), 400u) << check.line();
  EXPECT_EQ(value(check, "bad"), 0u);

  // 112 blocks left: a second process's 200 pages stop at a clean refusal.
  fill = probe("fill", "91 200");
  EXPECT_EQ(value(fill, "stored"), 64u) << fill.line();
  EXPECT_EQ(text_of(fill, "error"), "out_of_memory") << fill.line();
  KeyValueLine drop = probe("drop", "90");
  EXPECT_EQ(value(drop, "dropped"), 400u);
  stats = probe("stats");
  EXPECT_EQ(value(stats, "memory_pages"), 0u) << stats.line();
  EXPECT_EQ(value(stats, "disk_pages"), 64u) << "process 91's pages went to the disk";
  check = probe("check", "91 64");
  EXPECT_EQ(value(check, "held"), 64u) << check.line();
  EXPECT_EQ(value(check, "bad"), 0u);
  std::filesystem::remove(disk);
}

}  // namespace
}  // namespace atoll_os::host::testing
