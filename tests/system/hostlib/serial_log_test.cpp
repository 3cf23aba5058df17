// SerialLog and LogPattern: reading a growing log a line at a time, and matching lines.
#include "hostlib/serial_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

void append(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << text;
}

TEST(SerialLogTest, MissingFileReadsAsEmpty) {
  TempDir dir;
  SerialLog log(dir.path() / "serial.log");
  EXPECT_EQ(log.poll(), 0u);
  EXPECT_TRUE(log.lines().empty());
}

TEST(SerialLogTest, OnlyCompleteLinesAreVisibleUntilFinish) {
  TempDir dir;
  const auto file = dir.path() / "serial.log";
  SerialLog log(file);
  append(file, "Atoll kernel 0.1\r\ntimer: tick 1");
  EXPECT_EQ(log.poll(), 1u);
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_EQ(log.lines()[0].text, "Atoll kernel 0.1");
  // "timer: tick 1" may still become "timer: tick 12": not matchable yet.
  EXPECT_FALSE(log.contains(LogPattern::substring("tick 1")));

  append(file, "2\nPANIC");
  EXPECT_EQ(log.poll(), 1u);
  EXPECT_EQ(log.lines()[1].text, "timer: tick 12");
  log.finish();
  ASSERT_EQ(log.lines().size(), 3u);
  EXPECT_EQ(log.lines()[2].text, "PANIC");
}

TEST(SerialLogTest, TerminalEscapesAndControlCharactersAreDropped) {
  TempDir dir;
  const auto file = dir.path() / "serial.log";
  // What GRUB prints before its menu entry: clear screen, cursor home, then the text.
  append(file,
         "\x1b[H\x1b[J\x1b[1;1H  Booting `Atoll'\r\n\x1b"
         "7a\tb\x07\n");
  SerialLog log(file);
  log.poll();
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[0].text, "  Booting `Atoll'");
  EXPECT_EQ(log.lines()[1].text, "a\tb");
}

TEST(SerialLogTest, FindStartsAtTheGivenLine) {
  TempDir dir;
  const auto file = dir.path() / "serial.log";
  append(file, "a\nb\na\n");
  SerialLog log(file);
  log.poll();
  EXPECT_EQ(log.find(LogPattern::substring("a")), 0u);
  EXPECT_EQ(log.find(LogPattern::substring("a"), 1), 2u);
  EXPECT_EQ(log.find(LogPattern::substring("c")), std::nullopt);
}

TEST(SerialLogTest, TailIncludesThePendingLine) {
  TempDir dir;
  const auto file = dir.path() / "serial.log";
  append(file, "1\n2\n3\n4");
  SerialLog log(file);
  log.poll();
  EXPECT_EQ(log.tail(2), (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(log.tail(10), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_TRUE(log.tail(0).empty());
}

TEST(SerialLogTest, LineTimestampIsWhenItsFirstBytesWereRead) {
  TempDir dir;
  const auto file = dir.path() / "serial.log";
  SerialLog log(file);
  append(file, "boot: comp");
  log.poll();
  const Clock::time_point after_first = Clock::now();
  append(file, "lete\n");
  log.poll();
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_LE(log.lines()[0].seen_at, after_first);
}

TEST(LogPatternTest, SubstringAndRegexMatchAnywhereInALine) {
  EXPECT_TRUE(LogPattern::substring("boot: complete").matches("[0] boot: complete"));
  EXPECT_FALSE(LogPattern::substring("boot: complete").matches("boot: compl"));
  std::vector<std::string> groups;
  ASSERT_TRUE(LogPattern::regex("summary ([0-9]+) passed, ([0-9]+) failed")
                  .matches("selftest: summary 12 passed, 0 failed", &groups));
  EXPECT_EQ(groups, (std::vector<std::string>{"summary 12 passed, 0 failed", "12", "0"}));
  EXPECT_EQ(LogPattern::regex("tick [0-9]+").describe(), "/tick [0-9]+/");
  EXPECT_EQ(LogPattern::substring("PANIC").describe(), "'PANIC'");
}

}  // namespace
}  // namespace atoll_os::host::testing
