// Tests for the kernel command line parser: options, quoting, overrides, numbers, errors.
#include "lib/command_line.h"

#include <gtest/gtest.h>

#include <string>

namespace atoll_os::kernel {
namespace {

CommandLine parse_ok(std::string_view text) {
  Result<CommandLine> parsed = CommandLine::parse(text);
  EXPECT_TRUE(parsed.ok()) << "text: " << text << " error: " << error_name(parsed.error());
  return parsed.ok() ? parsed.release_value() : CommandLine{};
}

Error parse_error(std::string_view text) {
  return CommandLine::parse(text).error();
}

TEST(CommandLine, EmptyAndBlankTextHaveNoOptions) {
  EXPECT_EQ(parse_ok("").size(), 0u);
  EXPECT_EQ(parse_ok("   \t  ").size(), 0u);
}

TEST(CommandLine, FlagsAndValuesInOrder) {
  CommandLine line = parse_ok("  selftest\tconsole=serial  nodes=3 ");
  ASSERT_EQ(line.size(), 3u);
  EXPECT_EQ(line.at(0).key, "selftest");
  EXPECT_EQ(line.at(0).value, "");
  EXPECT_EQ(line.at(1).key, "console");
  EXPECT_EQ(line.at(1).value, "serial");
  EXPECT_EQ(line.at(2).key, "nodes");
  EXPECT_EQ(line.at(2).value, "3");
  EXPECT_TRUE(line.has("selftest"));
  EXPECT_TRUE(line.has("console"));
  EXPECT_FALSE(line.has("consol"));
  EXPECT_FALSE(line.has("serial"));
  EXPECT_EQ(*line.value("console"), "serial");
  EXPECT_EQ(*line.value("selftest"), "");
  EXPECT_EQ(line.value("missing").error(), Error::kNotFound);
}

TEST(CommandLine, ViewsPointIntoTheText) {
  std::string text = "name=value";
  CommandLine line = parse_ok(text);
  ASSERT_EQ(line.size(), 1u);
  EXPECT_EQ(line.at(0).key.data(), text.data());
  EXPECT_EQ(line.at(0).value.data(), text.data() + 5);
}

TEST(CommandLine, QuotedValuesKeepSpaces) {
  CommandLine line = parse_ok("a=\"hello  world\" b=\"\" c=\"x=y\"\td=plain");
  ASSERT_EQ(line.size(), 4u);
  EXPECT_EQ(*line.value("a"), "hello  world");
  EXPECT_EQ(*line.value("b"), "");
  EXPECT_EQ(*line.value("c"), "x=y");
  EXPECT_EQ(*line.value("d"), "plain");
}

TEST(CommandLine, EmptyValueAfterEquals) {
  CommandLine line = parse_ok("key= other");
  EXPECT_TRUE(line.has("key"));
  EXPECT_EQ(*line.value("key"), "");
  EXPECT_TRUE(line.has("other"));
}

TEST(CommandLine, UnquotedValueMayContainEqualsAndQuotes) {
  CommandLine line = parse_ok("a=b=c d=x\"y");
  EXPECT_EQ(*line.value("a"), "b=c");
  EXPECT_EQ(*line.value("d"), "x\"y");
}

TEST(CommandLine, LaterKeyOverridesEarlier) {
  CommandLine line = parse_ok("a=1 b=2 a=3 b flag flag=on");
  ASSERT_EQ(line.size(), 3u);
  EXPECT_EQ(*line.value("a"), "3");
  EXPECT_EQ(*line.value("b"), "");
  EXPECT_EQ(*line.value("flag"), "on");
}

TEST(CommandLine, UnterminatedQuoteIsBadFormat) {
  EXPECT_EQ(parse_error("a=\"open"), Error::kBadFormat);
  EXPECT_EQ(parse_error("ok=1 a=\""), Error::kBadFormat);
}

TEST(CommandLine, TextAfterClosingQuoteIsBadFormat) {
  EXPECT_EQ(parse_error("a=\"x\"y"), Error::kBadFormat);
}

TEST(CommandLine, EmptyKeyIsBadFormat) {
  EXPECT_EQ(parse_error("=x"), Error::kBadFormat);
  EXPECT_EQ(parse_error("a =x"), Error::kBadFormat);
  EXPECT_EQ(parse_error("="), Error::kBadFormat);
}

TEST(CommandLine, KeyLengthLimit) {
  std::string longest(CommandLine::kMaxKeyLength, 'k');
  std::string text = longest + "=1";  // outlives the parsed views
  EXPECT_TRUE(parse_ok(text).has(longest));
  EXPECT_EQ(parse_error(longest + "k=1"), Error::kBadFormat);
  EXPECT_EQ(parse_error(longest + "k"), Error::kBadFormat);
}

std::string numbered_options(size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i)
    text += "k" + std::to_string(i) + "=" + std::to_string(i) + " ";
  return text;
}

TEST(CommandLine, OptionCountLimit) {
  std::string text = numbered_options(CommandLine::kMaxOptions);  // outlives the views
  CommandLine full = parse_ok(text);
  EXPECT_EQ(full.size(), CommandLine::kMaxOptions);
  EXPECT_EQ(*full.number("k31"), 31u);
  EXPECT_EQ(parse_error(numbered_options(CommandLine::kMaxOptions + 1)), Error::kOutOfRange);
  // Repeats replace in place and do not use up slots.
  std::string repeated = numbered_options(CommandLine::kMaxOptions) + "k0=x k1 k5=y";
  EXPECT_EQ(parse_ok(repeated).size(), CommandLine::kMaxOptions);
}

TEST(CommandLine, DecimalAndHexNumbers) {
  CommandLine line = parse_ok(
      "a=0 b=42 c=0x2A d=0XfF e=007 f=18446744073709551615 g=0xffffffffffffffff "
      "h=0x0000000000000000001");
  EXPECT_EQ(*line.number("a"), 0u);
  EXPECT_EQ(*line.number("b"), 42u);
  EXPECT_EQ(*line.number("c"), 42u);
  EXPECT_EQ(*line.number("d"), 255u);
  EXPECT_EQ(*line.number("e"), 7u);
  EXPECT_EQ(*line.number("f"), UINT64_MAX);
  EXPECT_EQ(*line.number("g"), UINT64_MAX);
  EXPECT_EQ(*line.number("h"), 1u);
}

TEST(CommandLine, BadNumbers) {
  CommandLine line = parse_ok(
      "over=18446744073709551616 hexover=0x10000000000000000 empty= bare=0x junk=12a "
      "neg=-1 space=\" 1\" hexjunk=0xfg flag huge=99999999999999999999");
  for (const char* key :
       {"over", "hexover", "empty", "bare", "junk", "neg", "space", "hexjunk", "flag", "huge"}) {
    EXPECT_EQ(line.number(key).error(), Error::kBadFormat) << key;
  }
  EXPECT_EQ(line.number("absent").error(), Error::kNotFound);
}

}  // namespace
}  // namespace atoll_os::kernel
