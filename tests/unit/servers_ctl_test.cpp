// Tests of ctl's logic: JSON escaping and shapes, command parsing, line assembly, and the
// per-process output line buffers.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "ctl/command.h"
#include "ctl/json_writer.h"
#include "ctl/line_assembler.h"
#include "ctl/output_lines.h"
#include "ctl/replies.h"
#include "migm/cost_model.h"

namespace atoll_os::servers::ctl {
namespace {

std::string render(void (*f)(JsonWriter&)) {
  char buffer[4096];
  JsonWriter json(buffer, sizeof(buffer));
  f(json);
  EXPECT_FALSE(json.overflowed());
  return std::string(json.text());
}

TEST(JsonWriter, ObjectsArraysAndCommas) {
  std::string text = render([](JsonWriter& json) {
    json.begin_object().field("a", uint64_t{1}).begin_array("list");
    json.string("x").number(2).begin_object().field_bool("t", true).end_object().end_array();
    json.field_signed("neg", -5).field("s", "").end_object();
  });
  EXPECT_EQ(text, R"({"a":1,"list":["x",2,{"t":true}],"neg":-5,"s":""})");
}

TEST(JsonWriter, NumberExtremes) {
  std::string text = render([](JsonWriter& json) {
    json.begin_object()
        .field("max", ~uint64_t{0})
        .field("zero", uint64_t{0})
        .field_signed("min", INT64_MIN)
        .end_object();
  });
  EXPECT_EQ(text, R"({"max":18446744073709551615,"zero":0,"min":-9223372036854775808})");
}

TEST(JsonWriter, EscapesEverythingThatCouldBreakTheLine) {
  std::string raw = "q\"b\\n\nr\rt\t\x01\x1f\x7f\xc3\xa9";
  char buffer[256];
  JsonWriter json(buffer, sizeof(buffer));
  json.string(raw);
  EXPECT_EQ(std::string(json.text()), R"("q\"b\\n\nr\rt\t\u0001\u001f\u007f\u00c3\u00a9")");
  for (char c : json.text()) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20);
    EXPECT_LT(static_cast<unsigned char>(c), 0x7f);
  }
}

TEST(JsonWriter, OverflowStopsAtTheBuffer) {
  char buffer[8 + 1];
  buffer[8] = '#';
  JsonWriter json(buffer, 8);
  json.begin_object().field("key", "a long value").end_object();
  EXPECT_TRUE(json.overflowed());
  EXPECT_EQ(json.text().size(), 8u);
  EXPECT_EQ(buffer[8], '#');
}

Command parse_ok(std::string_view line) {
  CommandError error{};
  Result<Command> command = parse_command(line, &error);
  EXPECT_TRUE(command.ok()) << line << ": " << (error.reason ? error.reason : "");
  return command.ok() ? *command : Command{};
}

CommandError parse_bad(std::string_view line) {
  CommandError error{};
  EXPECT_EQ(parse_command(line, &error).error(), Error::kBadFormat) << line;
  return error;
}

TEST(Command, EachCommand) {
  EXPECT_EQ(parse_ok("ps").kind, CommandKind::kPs);
  EXPECT_EQ(parse_ok("  mem ").kind, CommandKind::kMem);
  EXPECT_EQ(parse_ok("stats\r").kind, CommandKind::kStats);
  EXPECT_EQ(parse_ok("help").kind, CommandKind::kHelp);
  Command run = parse_ok("run memtouch 16M\t100");
  EXPECT_EQ(run.kind, CommandKind::kRun);
  EXPECT_EQ(run.name, "memtouch");
  ASSERT_EQ(run.argument_count, 2u);
  EXPECT_EQ(run.arguments[0], "16M");
  EXPECT_EQ(run.arguments[1], "100");
  EXPECT_EQ(parse_ok("run hello").argument_count, 0u);
  EXPECT_EQ(parse_ok("kill 17").pid, 17u);
  EXPECT_EQ(parse_ok("kill 0x1000000000004").pid, 0x1000000000004u);
  EXPECT_EQ(parse_ok("kill 18446744073709551615").pid, ~uint64_t{0});
  Command migrate = parse_ok("migrate 0x4 2");
  EXPECT_EQ(migrate.kind, CommandKind::kMigrate);
  EXPECT_EQ(migrate.pid, 4u);
  EXPECT_EQ(migrate.node, 2u);
  EXPECT_EQ(migrate.strategy, protocols::migm::Strategy::kEager);
  EXPECT_EQ(parse_ok("migrate 4 1 eager").strategy, protocols::migm::Strategy::kEager);
  EXPECT_EQ(parse_ok("migrate 4 1 postcopy").strategy, protocols::migm::Strategy::kPostcopy);
  Command record = parse_ok("migration 0x1000000000007");
  EXPECT_EQ(record.kind, CommandKind::kMigration);
  EXPECT_EQ(record.pid, 0x1000000000007u);  // the migration id
  EXPECT_STREQ(parse_bad("migration").reason, "usage: migration ID");
  EXPECT_STREQ(parse_bad("migration x").reason, "ID must be a decimal or 0x number");
}

TEST(Command, MalformedMigrate) {
  EXPECT_STREQ(parse_bad("migrate 4").reason, "usage: migrate PID NODE [STRATEGY [OBJECTIVE]]");
  EXPECT_STREQ(parse_bad("migrate x 1").reason, "PID must be a decimal or 0x number");
  EXPECT_STREQ(parse_bad("migrate 4 99999").reason, "NODE must be a node number");
  constexpr const char* kUnknownStrategy =
      "unknown strategy; the strategies: eager, precopy, lazy, postcopy, flush, eager-dirty, auto";
  EXPECT_STREQ(parse_bad("migrate 4 1 teleport").reason, kUnknownStrategy);
  EXPECT_STREQ(parse_bad("migrate 4 1 eagerrrrrrrrrrrrrrrrrrr").reason, kUnknownStrategy);
  EXPECT_STREQ(parse_bad("migrate 4 1 eager extra").reason, "only auto takes an objective");
  EXPECT_STREQ(parse_bad("migrate 4 1 auto fastest").reason,
               "unknown objective; the objectives: freeze, total, traffic, no-residual");
  EXPECT_STREQ(parse_bad("migrate 4 1 auto total more").reason,
               "usage: migrate PID NODE [STRATEGY [OBJECTIVE]]");
}

TEST(Command, AutoTakesAnObjective) {
  Command plain = parse_ok("migrate 4 1 auto");
  EXPECT_EQ(plain.strategy, protocols::migm::Strategy::kAuto);
  EXPECT_EQ(plain.objective, 0u);  // shortest freeze
  EXPECT_EQ(parse_ok("migrate 4 1 auto total").objective,
            uint32_t(servers::migm::Objective::kShortestTotal));
  EXPECT_EQ(parse_ok("migrate 4 1 auto no-residual").objective,
            uint32_t(servers::migm::Objective::kNoResidual));
}

TEST(Replies, MigrationRecord) {
  char buffer[1024];
  protocols::migm::MigrationRecord record{};
  record.pid = 4;
  record.from_node = 0;
  record.to_node = 2;
  record.strategy = protocols::migm::Strategy::kEager;
  record.total_ns = 5000;
  record.pages_sent = 3;
  JsonWriter done(buffer, sizeof(buffer));
  render_migration(done, record);
  std::string text(done.text());
  EXPECT_EQ(
      text.rfind(R"({"ok":true,"cmd":"migrate","pid":4,"from":0,"to":2,"strategy":"eager")", 0), 0u)
      << text;
  EXPECT_NE(text.find(R"("total_ns":5000)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("pages_sent":3)"), std::string::npos) << text;
  record.error = static_cast<int32_t>(Error::kOutOfMemory);
  __builtin_memcpy(record.reason, "negotiate: full", 16);
  JsonWriter failed(buffer, sizeof(buffer));
  render_migration(failed, record);
  EXPECT_EQ(
      std::string(failed.text())
          .rfind(
              R"({"ok":false,"cmd":"migrate","error":"out_of_memory","reason":"negotiate: full")",
              0),
      0u)
      << failed.text();
}

TEST(Command, Malformed) {
  EXPECT_STREQ(parse_bad("").reason, "empty command");
  EXPECT_STREQ(parse_bad("   ").reason, "empty command");
  EXPECT_STREQ(parse_bad("PS").reason, "unknown command; try help");
  EXPECT_STREQ(parse_bad("reboot now").error, "bad_command");
  EXPECT_STREQ(parse_bad("ps -a").reason, "usage: ps");
  EXPECT_STREQ(parse_bad("kill").reason, "usage: kill PID");
  EXPECT_STREQ(parse_bad("kill 1 2").reason, "usage: kill PID");
  for (const char* pid :
       {"kill x", "kill -1", "kill 0x", "kill 12a", "kill 0xg", "kill 18446744073709551616"}) {
    EXPECT_STREQ(parse_bad(pid).reason, "PID must be a decimal or 0x number") << pid;
  }
  EXPECT_STREQ(parse_bad("run").reason, "usage: run NAME [ARGUMENT...]");
  EXPECT_STREQ(parse_bad("run " + std::string(32, 'm')).reason, "module name too long");
  std::string many = "run x";
  for (size_t i = 0; i <= kMaxRunArguments; ++i) many += " a";
  EXPECT_STREQ(parse_bad(many).reason, "usage: run NAME [ARGUMENT...]");
  EXPECT_STREQ(parse_bad(std::string("ps\0x", 4)).reason, "unknown command; try help");
}

std::vector<std::string> feed(LineAssembler& assembler, std::string_view bytes,
                              int* too_long = nullptr) {
  std::vector<std::string> lines;
  for (char c : bytes) {
    LineAssembler::Status status = assembler.push(c);
    if (status == LineAssembler::Status::kLine) lines.emplace_back(assembler.line());
    if (status == LineAssembler::Status::kTooLong && too_long) ++*too_long;
  }
  return lines;
}

TEST(LineAssembler, LinesAcrossChunksAndCrLf) {
  LineAssembler assembler;
  EXPECT_TRUE(feed(assembler, "p").empty());
  EXPECT_EQ(feed(assembler, "s\r\nmem\n\nst"), (std::vector<std::string>{"ps", "mem", ""}));
  EXPECT_EQ(feed(assembler, "ats\n"), (std::vector<std::string>{"stats"}));
}

TEST(LineAssembler, OverlongLineIsDroppedWholeAndReportedOnce) {
  LineAssembler assembler;
  int too_long = 0;
  std::string flood(LineAssembler::kLineMax + 100, 'k');
  auto lines = feed(assembler, flood + "ill 1\nps\n", &too_long);
  EXPECT_EQ(too_long, 1);
  EXPECT_EQ(lines, (std::vector<std::string>{"ps"}));  // nothing of the long line runs
  std::string exact(LineAssembler::kLineMax, 'a');
  EXPECT_EQ(feed(assembler, exact + "\n", &too_long), (std::vector<std::string>{exact}));
  EXPECT_EQ(too_long, 1);
}

struct Collected {
  std::vector<std::pair<uint64_t, std::string>> lines;
  static void sink(void* context, uint64_t writer, std::string_view line) {
    static_cast<Collected*>(context)->lines.emplace_back(writer, std::string(line));
  }
};

TEST(OutputLines, SplitWritesBecomeWholeLinesPerWriter) {
  Collected out;
  OutputLines lines(&Collected::sink, &out);
  lines.write(1, "hel");
  lines.write(2, "other\nwor");
  lines.write(1, "lo\nsecond");
  EXPECT_EQ(out.lines, (std::vector<std::pair<uint64_t, std::string>>{{2, "other"}, {1, "hello"}}));
  lines.flush(1);
  lines.flush(3);  // nothing buffered: nothing emitted
  EXPECT_EQ(out.lines.back(), std::make_pair(uint64_t{1}, std::string("second")));
  lines.write(2, "ld\n");
  EXPECT_EQ(out.lines.back(), std::make_pair(uint64_t{2}, std::string("world")));
  EXPECT_EQ(out.lines.size(), 4u);
}

TEST(OutputLines, LongLinesComeInPiecesAndNothingIsLost) {
  Collected out;
  OutputLines lines(&Collected::sink, &out);
  std::string big(OutputLines::kLineMax * 2 + 10, 'z');
  lines.write(4, big + "\n");
  ASSERT_EQ(out.lines.size(), 3u);
  EXPECT_EQ(out.lines[0].second.size(), OutputLines::kLineMax);
  EXPECT_EQ(out.lines[2].second.size(), 10u);
}

TEST(OutputLines, ManyWritersEvictTheLeastRecentlyUsed) {
  Collected out;
  OutputLines lines(&Collected::sink, &out);
  for (uint64_t w = 0; w < OutputLines::kMaxWriters; ++w) lines.write(w, "part");
  lines.write(0, "-more");  // writer 0 is now the most recent
  EXPECT_TRUE(out.lines.empty());
  lines.write(100, "new");  // evicts writer 1, the least recently used
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0], std::make_pair(uint64_t{1}, std::string("part")));
  lines.write(0, "\n");
  EXPECT_EQ(out.lines.back(), std::make_pair(uint64_t{0}, std::string("part-more")));
}

TEST(Replies, ErrorAndEvents) {
  char buffer[1024];
  JsonWriter json(buffer, sizeof(buffer));
  render_error(json, "kill", "not_found", "no such \"process\"");
  EXPECT_EQ(std::string(json.text()),
            R"({"ok":false,"cmd":"kill","error":"not_found","reason":"no such \"process\""})");

  JsonWriter parse_error(buffer, sizeof(buffer));
  render_error(parse_error, nullptr, "bad_command", "empty command");
  EXPECT_EQ(std::string(parse_error.text()),
            R"({"ok":false,"error":"bad_command","reason":"empty command"})");

  JsonWriter output(buffer, sizeof(buffer));
  render_output(output, 5, "hello, \"world\"");
  EXPECT_EQ(std::string(output.text()), R"({"event":"output","pid":5,"text":"hello, \"world\""})");

  protocols::pm::EventReply event{};
  event.kind = protocols::pm::EventKind::kEnded;
  event.state = abi::TaskState::kFaulted;
  event.pid = 9;
  event.exit_code = -1;
  event.fault_address = 0x1000;
  std::strcpy(event.name, "fault");
  JsonWriter exit(buffer, sizeof(buffer));
  render_exit(exit, event);
  EXPECT_EQ(std::string(exit.text()),
            R"({"event":"exit","pid":9,"name":"fault","state":"faulted","code":-1,)"
            R"("fault_address":4096})");
}

TEST(Replies, PsListsEveryProcess) {
  protocols::pm::ProcessEntry entries[2]{};
  entries[0].pid = 1;
  std::strcpy(entries[0].name, "init");
  entries[1].pid = 4;
  entries[1].parent = 0;
  std::memcpy(entries[1].name, "sixteen-chars-xx", 16);  // unterminated: cut at the field
  entries[1].state = abi::TaskState::kExited;
  entries[1].resident_pages = 7;
  char buffer[1024];
  JsonWriter json(buffer, sizeof(buffer));
  render_ps(json, entries, 2);
  EXPECT_EQ(std::string(json.text()),
            R"({"ok":true,"cmd":"ps","processes":[)"
            R"({"pid":1,"name":"init","parent":0,"state":"running","threads":0,)"
            R"("resident_pages":0,"cpu_ns":0,"exit_code":0},)"
            R"({"pid":4,"name":"sixteen-chars-xx","parent":0,"state":"exited","threads":0,)"
            R"("resident_pages":7,"cpu_ns":0,"exit_code":0}]})");
}

TEST(Replies, MemStatsRunKillHelpReady) {
  char buffer[1024];
  JsonWriter mem(buffer, sizeof(buffer));
  protocols::mm::Stats stats{};
  stats.kernel.total_frames = 65536;
  stats.resident_pages = 10;
  render_mem(mem, stats);
  EXPECT_NE(std::string(mem.text()).find(R"("total_frames":65536)"), std::string::npos);
  EXPECT_NE(std::string(mem.text()).find(R"("resident_pages":10)"), std::string::npos);

  JsonWriter run(buffer, sizeof(buffer));
  render_run(run, 4, "hello");
  EXPECT_EQ(std::string(run.text()), R"({"ok":true,"cmd":"run","pid":4,"name":"hello"})");
  JsonWriter ready(buffer, sizeof(buffer));
  render_ready(ready, 2);
  EXPECT_EQ(std::string(ready.text()), R"({"event":"ready","node":2})");
  JsonWriter help(buffer, sizeof(buffer));
  render_help(help);
  EXPECT_NE(std::string(help.text()).find(R"("kill PID")"), std::string::npos);
}

}  // namespace
}  // namespace atoll_os::servers::ctl
