// System tests of the servers through ctl: they come up, programs run and print, and a
// faulting, forging or snooping program is stopped without harming anything else.
//
// ctl's JSON as servers/ctl/replies.cpp writes it (the expectations below rely on it):
//   {"event":"ready","node":N}                                    once ctl listens
//   {"ok":true,"cmd":"ps","processes":[{"pid","name","parent","state","threads",
//     "resident_pages","cpu_ns","exit_code"},...]}
//   {"ok":true,"cmd":"run","pid":P,"name":NAME}
//   {"ok":false[,"cmd":C],"error":TAG,"reason":SENTENCE}
//   {"event":"output","pid":P,"text":LINE}                        one per line printed
//   {"event":"exit","pid":P,"name":N,"state":"exited|killed|faulted","code":C,
//     "fault_address":A}
#include <elf.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include "support/servers_fixture.h"

namespace atoll_os::host::testing {
namespace {

// Where fault.cpp reads: in no region of any process.
constexpr uint64_t kFaultAddress = 0xdead0000;

// The expected checksum of counter.cpp after `value`: FNV-1a over the little-endian bytes
// of 1..value.
uint64_t counter_checksum(uint64_t value) {
  uint64_t hash = 0xcbf29ce484222325;
  for (uint64_t v = 1; v <= value; ++v) {
    for (int i = 0; i < 8; ++i) {
      hash ^= (v >> (8 * i)) & 0xff;
      hash *= 0x100000001b3;
    }
  }
  return hash;
}

// "counter: N checksum 0x<16 hex digits>" → N, after checking the checksum; nullopt if
// the line is malformed or the checksum wrong.
std::optional<uint64_t> counter_value(const std::string& line) {
  uint64_t value = 0, checksum = 0;
  int end = 0;
  if (sscanf(line.c_str(), "counter: %" SCNu64 " checksum 0x%16" SCNx64 "%n", &value, &checksum,
             &end) != 2 ||
      static_cast<size_t>(end) != line.size()) {
    return std::nullopt;
  }
  if (checksum != counter_checksum(value)) return std::nullopt;
  return value;
}

// The number that follows `prefix` in `line`, if `line` contains it.
std::optional<uint64_t> number_after(const std::string& line, const std::string& prefix,
                                     int base = 10) {
  const size_t at = line.find(prefix);
  if (at == std::string::npos) return std::nullopt;
  const char* start = line.c_str() + at + prefix.size();
  char* end = nullptr;
  const uint64_t value = strtoull(start, &end, base);
  if (end == start) return std::nullopt;
  return value;
}

// The pages [first, end) of each PT_LOAD of the ELF file at `path`, page-rounded.
std::vector<std::pair<uint64_t, uint64_t>> image_pages(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  Elf64_Ehdr header;
  if (bytes.size() < sizeof header) return ranges;
  memcpy(&header, bytes.data(), sizeof header);
  for (size_t i = 0; i < header.e_phnum; ++i) {
    const uint64_t at = header.e_phoff + i * sizeof(Elf64_Phdr);
    Elf64_Phdr segment;
    if (at + sizeof segment > bytes.size()) break;
    memcpy(&segment, bytes.data() + at, sizeof segment);
    if (segment.p_type != PT_LOAD || segment.p_memsz == 0) continue;
    ranges.emplace_back(segment.p_vaddr & ~0xfffull,
                        (segment.p_vaddr + segment.p_memsz + 0xfff) & ~0xfffull);
  }
  return ranges;
}

// A page of `victim`'s image that `snoop`'s image does not cover, so that snoop's read
// of it cannot be served from any region of snoop's own; nullopt if there is none.
std::optional<uint64_t> page_only_in(const std::string& victim, const std::string& snoop) {
  const auto apps = BuildTree::configured().root() / "apps";
  const auto mine = image_pages(apps / snoop);
  for (auto [first, end] : image_pages(apps / victim)) {
    for (uint64_t page = first; page < end; page += 0x1000) {
      const bool covered = std::any_of(mine.begin(), mine.end(), [page](auto range) {
        return page >= range.first && page < range.second;
      });
      if (!covered) return page;
    }
  }
  return std::nullopt;
}

std::string hex(uint64_t value) {
  char text[24];
  snprintf(text, sizeof text, "0x%" PRIx64, value);
  return text;
}

TEST_F(ServersTest, AllServersComeUpAndCtlAnswers) {
  ASSERT_NO_FATAL_FAILURE(start_servers());
  auto ps = ctl().command_ok("ps", kReplyWait);
  ASSERT_TRUE(is_ok(ps));
  EXPECT_EQ(*ps->string_at("cmd"), "ps");
  const JsonValue* processes = ps->find("processes");
  ASSERT_NE(processes, nullptr) << ps->to_json();
  std::set<std::string> running;
  std::set<uint64_t> pids;
  for (const JsonValue& p : processes->items()) {
    ASSERT_NE(p.string_at("name"), nullptr) << p.to_json();
    ASSERT_NE(p.string_at("state"), nullptr) << p.to_json();
    ASSERT_TRUE(p.uint64_at("pid").has_value()) << p.to_json();
    EXPECT_TRUE(pids.insert(*p.uint64_at("pid")).second) << "PID listed twice: " << p.to_json();
    if (*p.string_at("state") == "running") running.insert(*p.string_at("name"));
  }
  for (const char* server : {"init", "mm", "pm", "names", "ctl"}) {
    EXPECT_TRUE(running.count(server)) << server << " is not running: " << ps->to_json();
  }

  auto mem = ctl().command_ok("mem", kReplyWait);
  ASSERT_TRUE(is_ok(mem));
  const auto total = mem->uint64_at("total_frames");
  const auto free = mem->uint64_at("free_frames");
  ASSERT_TRUE(total && free) << mem->to_json();
  EXPECT_GT(*free, 0u);
  EXPECT_LT(*free, *total) << "the servers use some memory";

  auto stats = ctl().command_ok("stats", kReplyWait);
  ASSERT_TRUE(is_ok(stats));
  EXPECT_GE(stats->uint64_at("processes_live").value_or(0), 5u) << stats->to_json();
}

TEST_F(ServersTest, RunHelloPrintsThroughCtlAndExits) {
  ASSERT_NO_FATAL_FAILURE(start_servers());
  uint64_t pid = 0;
  ASSERT_NO_FATAL_FAILURE(run("hello", &pid));
  auto line = output_line(pid, "hello from pid");
  ASSERT_TRUE(is_ok(line));
  EXPECT_EQ(*line, "hello from pid " + std::to_string(pid));
  auto exit = exit_event(pid);
  ASSERT_TRUE(is_ok(exit));
  EXPECT_EQ(*exit->string_at("state"), "exited") << exit->to_json();
  EXPECT_EQ(exit->int64_at("code"), 0) << exit->to_json();
  EXPECT_EQ(*exit->string_at("name"), "hello") << exit->to_json();
}

// pingpong: two processes that meet through the name service make call/reply round trips;
// the client's summary names its peer, both exit 0, and the client has reaped its peer.
TEST_F(ServersTest, PingpongMakesRoundTripsWithAPeerProcess) {
  ASSERT_NO_FATAL_FAILURE(start_servers());
  uint64_t client = 0;
  ASSERT_NO_FATAL_FAILURE(run("pingpong 1000", &client));
  auto summary = output_line(client, " round trips with pid ");
  ASSERT_TRUE(is_ok(summary));
  uint64_t rounds = 0, server = 0, median = 0, rate = 0;
  int end = 0;
  ASSERT_EQ(sscanf(summary->c_str(),
                   "pingpong: %" SCNu64 " round trips with pid %" SCNu64 ", median %" SCNu64
                   " TSC cycles, %" SCNu64 " round trips/s%n",
                   &rounds, &server, &median, &rate, &end),
            4)
      << *summary;
  EXPECT_EQ(static_cast<size_t>(end), summary->size()) << *summary;
  EXPECT_EQ(rounds, 1000u) << *summary;
  EXPECT_NE(server, client) << *summary;
  EXPECT_GT(median, 0u) << *summary;
  EXPECT_GT(rate, 0u) << *summary;

  for (uint64_t pid : {server, client}) {
    auto exit = exit_event(pid);
    ASSERT_TRUE(is_ok(exit)) << "no exit event for pid " << pid;
    EXPECT_EQ(*exit->string_at("name"), "pingpong") << exit->to_json();
    EXPECT_EQ(*exit->string_at("state"), "exited") << exit->to_json();
    EXPECT_EQ(exit->int64_at("code"), 0) << exit->to_json();
  }
  // Every failure either side notices is printed: there must be nothing else.
  for (uint64_t pid : {server, client}) {
    for (const std::string& line : take_output(pid)) ADD_FAILURE() << "pid " << pid << ": " << line;
  }
  // The client waited for its peer's end, so pm has forgotten the peer.
  EXPECT_FALSE(ps_entry(server).has_value()) << "the server was not reaped";
}

TEST_F(ServersTest, FaultingAppIsEndedWhileACounterKeepsCounting) {
  ASSERT_NO_FATAL_FAILURE(start_servers());
  uint64_t counter = 0;
  ASSERT_NO_FATAL_FAILURE(run("counter 0 50", &counter));
  auto first = output_line(counter, "counter: ");
  ASSERT_TRUE(is_ok(first));
  ASSERT_TRUE(counter_value(*first).has_value()) << *first;

  uint64_t fault = 0;
  ASSERT_NO_FATAL_FAILURE(run("fault", &fault));
  auto ended = exit_event(fault);
  ASSERT_TRUE(is_ok(ended));
  EXPECT_EQ(*ended->string_at("state"), "faulted") << ended->to_json();
  EXPECT_EQ(ended->uint64_at("fault_address"), kFaultAddress) << ended->to_json();
  EXPECT_TRUE(is_ok(output_line(fault, "fault: reading")));
  for (const std::string& line : take_output(fault)) {
    EXPECT_EQ(line.find("survived"), std::string::npos) << line;
  }

  // The counter goes on, one value after the other, each checksum right: its memory and
  // its thread were untouched.
  std::vector<std::string> lines = take_output(counter);
  std::optional<uint64_t> last = counter_value(*first);
  for (const std::string& line : lines) {
    auto value = counter_value(line);
    ASSERT_TRUE(value.has_value()) << "bad counter line: " << line;
    EXPECT_EQ(*value, *last + 1) << "counter skipped or repeated a value";
    last = value;
  }
  const uint64_t at_fault = *last;
  while (*last < at_fault + 3) {
    auto line = output_line(counter, "counter: ");
    ASSERT_TRUE(is_ok(line)) << "counter stopped after the fault";
    auto value = counter_value(*line);
    ASSERT_TRUE(value.has_value()) << "bad counter line: " << *line;
    EXPECT_EQ(*value, *last + 1);
    last = value;
  }
  auto entry = ps_entry(counter);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(*entry->string_at("state"), "running") << entry->to_json();
  if (auto faulted = ps_entry(fault)) {  // pm may have forgotten it already
    EXPECT_EQ(*faulted->string_at("state"), "faulted") << faulted->to_json();
  }
  auto mem = ctl().command_ok("mem", kReplyWait);
  ASSERT_TRUE(is_ok(mem));
  EXPECT_GE(mem->uint64_at("faults_refused").value_or(0), 1u) << mem->to_json();

  auto killed = ctl().command_ok("kill " + std::to_string(counter), kReplyWait);
  ASSERT_TRUE(is_ok(killed));
  auto gone = exit_event(counter);
  ASSERT_TRUE(is_ok(gone));
  EXPECT_EQ(*gone->string_at("state"), "killed") << gone->to_json();
}

TEST_F(ServersTest, ForgedHandlesAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start_servers());
  uint64_t pid = 0;
  ASSERT_NO_FATAL_FAILURE(run("forge", &pid));
  auto summary = output_line(pid, "forged calls");
  ASSERT_TRUE(is_ok(summary));
  auto exit = exit_event(pid);
  ASSERT_TRUE(is_ok(exit));

  const std::optional<uint64_t> refused = number_after(*summary, "forge: all ");
  const bool all_refused =
      refused.has_value() &&
      *summary == "forge: all " + std::to_string(*refused) + " forged calls refused";
  EXPECT_TRUE(all_refused) << *summary;
  EXPECT_EQ(*exit->string_at("state"), "exited") << exit->to_json();
  EXPECT_EQ(exit->int64_at("code"), 0) << exit->to_json();

  // forge prints "forge: CALL -> ERROR" for each attempt: every one refused, none lost.
  size_t attempts = 0;
  for (const std::string& line : take_output(pid)) {
    EXPECT_EQ(line.find("ACCEPTED"), std::string::npos) << line;
    if (line.find(" -> ") != std::string::npos) ++attempts;
  }
  if (all_refused) {
    EXPECT_EQ(attempts, *refused) << "output lines went missing";
  }
}

TEST_F(ServersTest, SnoopCannotReadAnotherProcessesMemory) {
  // memtouch fills 64 pages of its heap with a pattern no fresh page holds, and checks
  // them once a second; pages of its image beyond snoop's are mapped in it alone.
  const std::optional<uint64_t> image_page = page_only_in("memtouch", "snoop");
  ASSERT_TRUE(image_page.has_value())
      << "memtouch's image no longer extends beyond snoop's; pick another victim";
  ASSERT_NO_FATAL_FAILURE(start_servers());
  uint64_t victim = 0;
  ASSERT_NO_FATAL_FAILURE(run("memtouch 256K 200", &victim));
  // "memtouch: 64 pages at 0x10001000, rate 200 pages/s"
  auto layout = output_line(victim, " pages at ");
  ASSERT_TRUE(is_ok(layout));
  const auto pages = number_after(*layout, "memtouch: ");
  const auto base = number_after(*layout, " pages at 0x", 16);
  ASSERT_TRUE(pages && base && *pages > 0) << *layout;
  const uint64_t last_page = *base + (*pages - 1) * 4096;
  for (;;) {  // until every page has been written once
    auto report = output_line(victim, "memtouch: touched ");
    ASSERT_TRUE(is_ok(report));
    ASSERT_EQ(report->find("MISMATCH"), std::string::npos) << *report;
    if (number_after(*report, "memtouch: touched ").value_or(0) >= *pages) break;
  }

  // The same address in snoop is snoop's own fresh heap page: zero, not memtouch's data.
  uint64_t snoop = 0;
  ASSERT_NO_FATAL_FAILURE(run("snoop " + hex(last_page), &snoop));
  auto read = output_line(snoop, " holds ");
  ASSERT_TRUE(is_ok(read));
  EXPECT_NE(read->find("holds 0x0000000000000000"), std::string::npos)
      << "snoop saw data it never wrote: " << *read;
  auto snoop_exit = exit_event(snoop);
  ASSERT_TRUE(is_ok(snoop_exit));
  EXPECT_EQ(*snoop_exit->string_at("state"), "exited") << snoop_exit->to_json();

  // An address mapped only in memtouch: snoop's read faults and snoop alone is ended.
  ASSERT_NO_FATAL_FAILURE(run("snoop " + hex(*image_page), &snoop));
  auto faulted = exit_event(snoop);
  ASSERT_TRUE(is_ok(faulted));
  EXPECT_EQ(*faulted->string_at("state"), "faulted") << faulted->to_json();
  EXPECT_EQ(faulted->uint64_at("fault_address"), *image_page) << faulted->to_json();
  for (const std::string& line : take_output(snoop)) {
    EXPECT_EQ(line.find(" holds "), std::string::npos) << "snoop read it: " << line;
  }

  // memtouch is unharmed: it still runs, and its next check finds every page as written.
  take_output(victim);
  auto report = output_line(victim, "memtouch: touched ");
  ASSERT_TRUE(is_ok(report));
  for (const std::string& line : take_output(victim)) {
    EXPECT_EQ(line.find("MISMATCH"), std::string::npos) << line;
  }
  auto entry = ps_entry(victim);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(*entry->string_at("state"), "running") << entry->to_json();
}

TEST_F(ServersTest, MalformedCommandsAreRefusedAndCtlKeepsWorking) {
  ASSERT_NO_FATAL_FAILURE(start_servers());
  const std::string bad[] = {
      "frobnicate",
      "run",
      "kill abc",
      "kill",
      "kill 12 13",
      "kill 0x",
      "kill 99999999999999999999999",  // beyond 64 bits
      "kill 987654321",                // no such process
      "run nosuchapp",
      "run " + std::string(40, 'n'),  // longer than a module name
      "ps extra",
      "",
      std::string(10 * 1024, 'x'),
      "run hello " + std::string(2000, 'a'),  // longer than ctl's line
  };
  auto stats_before = ctl().command_ok("stats", kReplyWait);
  ASSERT_TRUE(is_ok(stats_before));
  for (const std::string& command : bad) {
    const std::string shown = command.substr(0, 40);
    auto reply = ctl().command(command, kReplyWait);
    ASSERT_TRUE(is_ok(reply)) << "'" << shown << "'";
    EXPECT_EQ(reply->bool_at("ok"), false) << "'" << shown << "': " << reply->to_json();
    const std::string* reason = reply->string_at("reason");
    ASSERT_NE(reason, nullptr) << "'" << shown << "': " << reply->to_json();
    EXPECT_FALSE(reason->empty()) << "'" << shown << "'";
    EXPECT_NE(reply->string_at("error"), nullptr) << "'" << shown << "': " << reply->to_json();
    auto ps = ctl().command_ok("ps", kReplyWait);
    ASSERT_TRUE(is_ok(ps)) << "after '" << shown << "'";
  }
  // A refused command has no effect: nothing was started.
  auto stats_after = ctl().command_ok("stats", kReplyWait);
  ASSERT_TRUE(is_ok(stats_after));
  EXPECT_EQ(stats_after->uint64_at("processes_started"),
            stats_before->uint64_at("processes_started"))
      << stats_before->to_json() << "\n"
      << stats_after->to_json();
  EXPECT_EQ(stats_after->uint64_at("processes_live"), stats_before->uint64_at("processes_live"));

  // And a good command still runs.
  uint64_t pid = 0;
  ASSERT_NO_FATAL_FAILURE(run("hello", &pid));
  EXPECT_TRUE(is_ok(exit_event(pid)));
}

// Not stated by the issue, but needed: killing names or ctl from the host would cut the
// node off (ctl is the host's only way in; pm calls names whenever a process ends, and
// blocked forever once names was gone), so every server is refused, not only the ones
// init adopts (pm: "a system process" for init, mm, pm; "a system server" for the rest).
TEST_F(ServersTest, KillingASystemServerIsRefused) {
  ASSERT_NO_FATAL_FAILURE(start_servers());
  auto ps = ctl().command_ok("ps", kReplyWait);
  ASSERT_TRUE(is_ok(ps));
  std::vector<std::pair<std::string, uint64_t>> servers;
  for (const JsonValue& p : ps->find("processes")->items()) {
    servers.emplace_back(*p.string_at("name"), p.uint64_at("pid").value_or(0));
  }
  ASSERT_GE(servers.size(), 5u) << ps->to_json();
  for (const auto& [name, pid] : servers) {
    auto reply = ctl().command("kill " + std::to_string(pid), kReplyWait);
    ASSERT_TRUE(is_ok(reply)) << "kill " << name << " (pid " << pid << ")";
    EXPECT_EQ(reply->bool_at("ok"), false) << "killed " << name << ": " << reply->to_json();
    auto entry = ps_entry(pid);
    ASSERT_TRUE(entry.has_value()) << name << " is gone";
    EXPECT_EQ(*entry->string_at("state"), "running") << entry->to_json();
  }
}

}  // namespace
}  // namespace atoll_os::host::testing
