// Tests of parse_unsigned and parse_size: bases, suffixes, junk and overflow.
#include "atoll/user/parse.h"

#include <gtest/gtest.h>

namespace atoll_os::user {
namespace {

uint64_t value_of(Result<uint64_t> result) {
  EXPECT_TRUE(result.ok()) << error_name(result.error());
  return result.value_or(0);
}

TEST(ParseUnsigned, DecimalAndHex) {
  EXPECT_EQ(value_of(parse_unsigned("0")), 0u);
  EXPECT_EQ(value_of(parse_unsigned("250")), 250u);
  EXPECT_EQ(value_of(parse_unsigned("0xdead0000")), 0xdead0000u);
  EXPECT_EQ(value_of(parse_unsigned("0XFF")), 0xffu);
  EXPECT_EQ(value_of(parse_unsigned("18446744073709551615")), UINT64_MAX);
  EXPECT_EQ(value_of(parse_unsigned("0xffffffffffffffff")), UINT64_MAX);
}

TEST(ParseUnsigned, RefusesJunk) {
  for (const char* text : {"", "-1", "+1", "12a", "0x", "abc", " 1", "1 ", "0xg"}) {
    EXPECT_EQ(parse_unsigned(text).error(), Error::kInvalidArgument) << '"' << text << '"';
  }
  EXPECT_EQ(parse_unsigned(nullptr).error(), Error::kInvalidArgument);
}

TEST(ParseUnsigned, RefusesOverflow) {
  EXPECT_EQ(parse_unsigned("18446744073709551616").error(), Error::kOutOfRange);
  EXPECT_EQ(parse_unsigned("0x10000000000000000").error(), Error::kOutOfRange);
}

TEST(ParseSize, Suffixes) {
  EXPECT_EQ(value_of(parse_size("4096")), 4096u);
  EXPECT_EQ(value_of(parse_size("64K")), 64u << 10);
  EXPECT_EQ(value_of(parse_size("64k")), 64u << 10);
  EXPECT_EQ(value_of(parse_size("16M")), 16u << 20);
  EXPECT_EQ(value_of(parse_size("2G")), uint64_t{2} << 30);
  EXPECT_EQ(value_of(parse_size("0x10K")), 16u << 10);
}

TEST(ParseSize, RefusesBadSuffixesAndOverflow) {
  for (const char* text : {"16MB", "16T", "K", "16 M", "1.5M"}) {
    EXPECT_EQ(parse_size(text).error(), Error::kInvalidArgument) << '"' << text << '"';
  }
  EXPECT_EQ(parse_size("17179869184G").error(), Error::kOutOfRange);  // 2^34 GiB = 2^64 B
}

}  // namespace
}  // namespace atoll_os::user
