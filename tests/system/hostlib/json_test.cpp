// parse_json: ctl's replies read exactly, and garbage refused with an error, never a crash.
#include "hostlib/json.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace atoll_os::host {
namespace {

JsonValue parsed(std::string_view text) {
  auto v = parse_json(text);
  EXPECT_TRUE(v.ok()) << text << ": " << (v.ok() ? "" : v.failure().describe());
  return v.ok() ? v.release_value() : JsonValue();
}

Error error_of(std::string_view text) {
  return parse_json(text).error();
}

TEST(JsonTest, ReadsAPsReplyAsCtlWritesIt) {
  const JsonValue v = parsed(
      R"({"ok":true,"cmd":"ps","processes":[{"pid":1,"name":"init","parent":0,)"
      R"("state":"running","threads":1,"resident_pages":12,"cpu_ns":123456,"exit_code":-1}]})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.bool_at("ok"), true);
  ASSERT_NE(v.string_at("cmd"), nullptr);
  EXPECT_EQ(*v.string_at("cmd"), "ps");
  const JsonValue* processes = v.find("processes");
  ASSERT_NE(processes, nullptr);
  ASSERT_EQ(processes->items().size(), 1u);
  const JsonValue& init = processes->items()[0];
  EXPECT_EQ(init.uint64_at("pid"), 1u);
  EXPECT_EQ(*init.string_at("name"), "init");
  EXPECT_EQ(init.int64_at("exit_code"), -1);
  EXPECT_EQ(init.uint64_at("exit_code"), std::nullopt) << "negative is not unsigned";
  EXPECT_EQ(v.find("absent"), nullptr);
  EXPECT_EQ(v.string_at("ok"), nullptr) << "ok is a bool, not a string";
}

TEST(JsonTest, ScalarsAndWhitespace) {
  EXPECT_TRUE(parsed(" null ").is_null());
  EXPECT_EQ(parsed("true").as_bool(), true);
  EXPECT_EQ(parsed("\t\r\nfalse\n").as_bool(), false);
  EXPECT_EQ(parsed("0").as_int64(), 0);
  EXPECT_EQ(parsed("-0").as_int64(), 0);
  EXPECT_EQ(parsed("-12").as_int64(), -12);
  EXPECT_DOUBLE_EQ(*parsed("1.5e3").as_double(), 1500.0);
  EXPECT_EQ(parsed("1.5e3").as_int64(), std::nullopt) << "not written as an integer";
  EXPECT_DOUBLE_EQ(*parsed("-0.25").as_double(), -0.25);
  EXPECT_TRUE(parsed("[]").is_array());
  EXPECT_TRUE(parsed("{}").is_object());
  EXPECT_EQ(parsed("[1, [2, {\"a\": [3]}]]").items().size(), 2u);
}

TEST(JsonTest, SixtyFourBitIntegersAreExact) {
  // A PID of node 0x7fff: beyond a double's 53 bits of mantissa.
  EXPECT_EQ(parsed("9223090561878065157").as_uint64(), 9223090561878065157ull);
  EXPECT_EQ(parsed("18446744073709551615").as_uint64(), 18446744073709551615ull);
  EXPECT_EQ(parsed("18446744073709551615").as_int64(), std::nullopt);
  EXPECT_EQ(parsed("-9223372036854775808").as_int64(), INT64_MIN);
  // Too big for 64 bits: still a number, but no exact integer.
  const JsonValue big = parsed("123456789012345678901234567890");
  EXPECT_TRUE(big.is_number());
  EXPECT_EQ(big.as_uint64(), std::nullopt);
  EXPECT_EQ(parsed("9223090561878065157").to_json(), "9223090561878065157");
}

TEST(JsonTest, StringEscapesIncludingUnicode) {
  EXPECT_EQ(*parsed(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(*parsed(R"("\u0041\u00e9\u20ac")").as_string(), "A\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(*parsed(R"("\ud83d\ude00")").as_string(), "\xf0\x9f\x98\x80");
  // ctl sends bytes >= 0x80 as \u00XX; raw bytes are kept as they are.
  EXPECT_EQ(*parsed("\"\xff\xfe\"").as_string(), "\xff\xfe");
  EXPECT_EQ(*parsed(R"("\u0000x")").as_string(), std::string("\0x", 2));
}

TEST(JsonTest, ObjectsKeepOrderAndFindTheFirstOfRepeatedKeys) {
  const JsonValue v = parsed(R"({"b":1,"a":2,"b":3})");
  ASSERT_EQ(v.members().size(), 3u);
  EXPECT_EQ(v.members()[0].first, "b");
  EXPECT_EQ(v.members()[1].first, "a");
  EXPECT_EQ(v.int64_at("b"), 1);
}

TEST(JsonTest, ToJsonRoundTrips) {
  const std::string text =
      R"({"event":"output","pid":4,"text":"say \"hi\"\n\u0001","ok":false,"n":null,"a":[1,-2,true]})";
  const JsonValue v = parsed(text);
  EXPECT_EQ(v.to_json(), text);
  EXPECT_EQ(parsed(v.to_json()).to_json(), text);
  EXPECT_EQ(json_quote("a\tb"), "\"a\\tb\"");
}

TEST(JsonTest, MalformedInputIsBadFormat) {
  for (const char* text : {
           "",
           "nul",
           "tru",
           "nulL",
           "{",
           "[",
           "[1,]",
           "[1 2]",
           "{\"a\"}",
           "{\"a\":}",
           "{a:1}",
           "{\"a\":1,}",
           "{,}",
           "01",
           "1.",
           ".5",
           "1e",
           "+1",
           "-",
           "--1",
           "0x10",
           "\"abc",
           "\"\\x\"",
           "\"\\u12\"",
           "\"\\u12g4\"",
           "\"\\ud800\"",
           "\"\\udc00\"",
           "\"\\ud800\\u0041\"",
           "\"a\nb\"",
           "1 2",
           "{} x",
           "[}",
           "{]",
           "'a'",
           "NaN",
           "Infinity",
           "\"\\",
           "\"\\u",
       }) {
    auto r = parse_json(text);
    EXPECT_FALSE(r.ok()) << "accepted: " << text;
    if (!r.ok()) {
      EXPECT_TRUE(r.error() == Error::kBadFormat || r.error() == Error::kTruncated)
          << text << ": " << r.failure().describe();
    }
  }
}

TEST(JsonTest, TruncatedInputSaysSo) {
  EXPECT_EQ(error_of("{\"ok\":tr"), Error::kTruncated);
  EXPECT_EQ(error_of("[1,2"), Error::kTruncated);
  EXPECT_EQ(error_of("\"abc"), Error::kTruncated);
  auto r = parse_json("{\"a\": x}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.failure().message.find("byte 6"), std::string::npos) << r.failure().message;
}

TEST(JsonTest, DeepNestingIsRefusedNotAStackOverflow) {
  EXPECT_TRUE(
      parse_json(std::string(kJsonMaxDepth - 1, '[') + std::string(kJsonMaxDepth - 1, ']')).ok());
  EXPECT_EQ(error_of(std::string(kJsonMaxDepth + 1, '[') + std::string(kJsonMaxDepth + 1, ']')),
            Error::kOutOfRange);
  EXPECT_EQ(error_of(std::string(100000, '[')), Error::kOutOfRange);
  EXPECT_EQ(error_of(std::string(100000, '{')), Error::kBadFormat) << "'{' wants a key first";
  std::string objects;
  for (int i = 0; i < 1000; ++i) objects += "{\"a\":";
  EXPECT_EQ(error_of(objects), Error::kOutOfRange);
}

TEST(JsonTest, HugeNumbersAreOutOfRange) {
  EXPECT_EQ(error_of("1e999"), Error::kOutOfRange);
  EXPECT_EQ(error_of("-1e999"), Error::kOutOfRange);
}

TEST(JsonTest, TheReaderStaysInsideItsInput) {
  // A view into a larger buffer: the reader must not look past its end, where a closing
  // quote or bracket would make the input valid.
  const std::string buffer = "{\"a\":\"xyz\"}";
  EXPECT_EQ(parse_json(std::string_view(buffer).substr(0, 8)).error(), Error::kTruncated);
  EXPECT_EQ(parse_json(std::string_view(buffer).substr(0, 10)).error(), Error::kTruncated);
  EXPECT_TRUE(parse_json(std::string_view(buffer)).ok());
}

// Random bytes, and mutations of a real reply: any result is fine except a crash, a
// sanitizer report, or an "ok" that does not survive a round trip.
TEST(JsonTest, GarbageNeverCrashes) {
  std::mt19937 random(12345);
  const std::string reply =
      R"({"ok":true,"cmd":"ps","processes":[{"pid":4,"name":"hello","state":"exited",)"
      R"("exit_code":0,"text":"a\u00e9\ud83d\ude00\n"}],"x":[1.5e3,-2,null,false]})";
  const std::string alphabet = "{}[]\",:\\/ubfnrt0123456789-+.eEaxlsu \t\n\x01\x80\xff";
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    if (round % 2 == 0) {
      text = reply;
      const int edits = 1 + static_cast<int>(random() % 4);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const size_t at = random() % text.size();
        switch (random() % 3) {
          case 0: text[at] = alphabet[random() % alphabet.size()]; break;
          case 1: text.erase(at, 1 + random() % 8); break;
          default: text.insert(at, 1, alphabet[random() % alphabet.size()]); break;
        }
      }
    } else {
      const size_t length = random() % 64;
      for (size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    }
    auto r = parse_json(text);
    if (r.ok()) {
      auto again = parse_json(r->to_json());
      ASSERT_TRUE(again.ok()) << text;
      EXPECT_EQ(again->to_json(), r->to_json()) << text;
    }
  }
}

}  // namespace
}  // namespace atoll_os::host
