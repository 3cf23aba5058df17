// Tests for the kernel's printf: every conversion checked against the host's snprintf.
#include "lib/format.h"

#include <gtest/gtest.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <memory>
#include <string>
#include <vector>

namespace atoll_os::kernel {
namespace {

// Formats with both the kernel and glibc and expects identical text and return value.
template <typename... Args>
void expect_like_snprintf(const char* fmt, Args... args) {
  char expected[512];
  char actual[512];
  int expected_length = snprintf(expected, sizeof(expected), fmt, args...);
  size_t actual_length = format(actual, sizeof(actual), fmt, args...);
  EXPECT_EQ(actual_length, static_cast<size_t>(expected_length)) << "format: " << fmt;
  EXPECT_STREQ(actual, expected) << "format: " << fmt;
}

// Through vformat, and without the compiler's format checking, for deliberately odd formats.
size_t forward(char* buffer, size_t size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  size_t length = vformat(buffer, size, fmt, args);
  va_end(args);
  return length;
}

const char* const kSignedFormats[] = {
    "%d",    "%i",     "%1d",   "%5d",    "%-5d",   "%05d",  "%+d",     "% d",
    "%+5d",  "% 5d",   "%-+5d", "%- 5d",  "%+05d",  "% 05d", "%.0d",    "%.1d",
    "%.3d",  "%.12d",  "%8.3d", "%-8.3d", "%08.3d", "%+.0d", "% .0d",   "%5.0d",
    "%-05d", "%+-8d|", "%020d", "%+.20d", "[%3d]",  "x%dy",  "%0+8.4d", "%#d",
};
const int kSignedValues[] = {0, 1, -1, 7, -7, 42, -42, 123456, -123456, INT_MAX, INT_MIN};

TEST(Format, SignedIntMatchesSnprintf) {
  for (const char* fmt : kSignedFormats) {
    for (int value : kSignedValues) expect_like_snprintf(fmt, value);
  }
}

TEST(Format, SignedLongLengthsMatchSnprintf) {
  const long long values[] = {0, -1, 1, INT64_MAX, INT64_MIN, 1234567890123LL, -99999999999LL};
  const char* const formats[] = {"%ld",   "%lld",     "%jd",    "%zd",     "%td",   "%+lld",
                                 "%25ld", "%-25lld|", "%025ld", "%.22lld", "% lld", "%+.0lld"};
  for (const char* fmt : formats) {
    for (long long value : values) expect_like_snprintf(fmt, value);
  }
}

TEST(Format, ShortAndCharLengthsTruncateLikeC) {
  // The int argument is converted to (signed/unsigned) char or short before printing.
  const int values[] = {0, 127, 128, 200, 255, 256, 0x1ff, -1, -129, 32767, 32768, 65535, 70000};
  const char* const formats[] = {"%hhd", "%hhi", "%hhu", "%hhx", "%hho", "%hd",  "%hi",
                                 "%hu",  "%hx",  "%hX",  "%#ho", "%+hd", "%5hhu"};
  for (const char* fmt : formats) {
    for (int value : values) expect_like_snprintf(fmt, value);
  }
}

TEST(Format, UnsignedMatchesSnprintf) {
  const unsigned values[] = {0, 1, 7, 8, 9, 10, 15, 16, 255, 0x1234, 0xdeadbeef, UINT_MAX};
  const char* const formats[] = {
      "%u",    "%x",    "%X",   "%o",     "%#x",     "%#X",    "%#o",     "%#.0x", "%#.0o",
      "%.0u",  "%.0x",  "%.0o", "%#10x",  "%#-10x|", "%#010x", "%#010X",  "%010o", "%#010o",
      "%#.5o", "%#.5x", "%.5x", "%8.3x",  "%-8.3o|", "%08.3u", "%#8.3x",  "%#1o",  "%#3.2o",
      "%+u",   "% u",   "%+x",  "%#5.0x", "%#5.0o",  "%.10u",  "%-#12o|", "%#.1o", "%#.2o"};
  for (const char* fmt : formats) {
    for (unsigned value : values) expect_like_snprintf(fmt, value);
  }
}

TEST(Format, UnsignedLongMatchesSnprintf) {
  const unsigned long long values[] = {
      0,         1,         0x80000000ull, 0xffffffffull, 0x100000000ull, 0x123456789abcdefull,
      INT64_MAX, UINT64_MAX};
  const char* const formats[] = {
      "%lu", "%llu", "%lx",   "%llX",     "%lo",    "%#llo",   "%#lx",    "%#lX",   "%zu",  "%zx",
      "%ju", "%tx",  "%30lu", "%-30llx|", "%030lo", "%#030lx", "%.25llu", "%#.0lo", "%.0lx"};
  for (const char* fmt : formats) {
    for (unsigned long long value : values) expect_like_snprintf(fmt, value);
  }
}

TEST(Format, StarWidthAndPrecisionMatchSnprintf) {
  const int widths[] = {0, 1, 5, 12, -1, -5, -12};
  const int precisions[] = {-1, -7, 0, 1, 3, 10};
  for (int width : widths) {
    for (int value : {0, 42, -42}) {
      expect_like_snprintf("%*d|", width, value);
      expect_like_snprintf("%0*d|", width, value);
    }
    for (int precision : precisions) {
      expect_like_snprintf("%*.*d|", width, precision, 17);
      expect_like_snprintf("%*.*d|", width, precision, 0);
      expect_like_snprintf("%*.*s|", width, precision, "hello");
      expect_like_snprintf("%.*x|", precision, 0xabcu);
    }
  }
}

TEST(Format, StringsAndCharsMatchSnprintf) {
  const char* const strings[] = {"", "a", "hello", "hello world, this is long"};
  const char* const formats[] = {"%s",       "%10s", "%-10s|", "%.2s", "%10.2s", "%.0s",
                                 "%-10.3s|", "%1s",  "%.30s",  "[%s]", "%3.10s", "%-1s|"};
  for (const char* fmt : formats) {
    for (const char* text : strings) expect_like_snprintf(fmt, text);
  }
  for (int c : {int{'a'}, int{'Z'}, int{' '}, int{'%'}, 0x7f}) {
    expect_like_snprintf("%c", c);
    expect_like_snprintf("%5c|", c);
    expect_like_snprintf("%-5c|", c);
    expect_like_snprintf("x%cy", c);
  }
}

TEST(Format, PointersMatchGlibc) {
  int object = 0;
  const void* const pointers[] = {&object, reinterpret_cast<void*>(0x1),
                                  reinterpret_cast<void*>(0xffffffff80001000ull), nullptr};
  const char* const formats[] = {"%p", "%20p|", "%-20p|", "%5p", "%.20p"};
  for (const char* fmt : formats) {
    for (const void* pointer : pointers) expect_like_snprintf(fmt, pointer);
  }
  expect_like_snprintf("%+p", reinterpret_cast<void*>(0x12));
  expect_like_snprintf("% p", reinterpret_cast<void*>(0x12));
  expect_like_snprintf("%020p", reinterpret_cast<void*>(0x12));
}

TEST(Format, PercentAndMixedArguments) {
  expect_like_snprintf("%%");
  expect_like_snprintf("100%% done");
  expect_like_snprintf("%d%%%s%%%c", 5, "x", 'y');
  expect_like_snprintf("a=%d b=%s c=%x d=%c e=%lu f=%p g=%lld h=%o", -3, "str", 0xbeefu, 'q',
                       123456789012ul, reinterpret_cast<void*>(0x1000), INT64_MIN, 8u);
  expect_like_snprintf("no conversions at all");
  expect_like_snprintf("");
}

TEST(Format, NullStringPrintsNull) {
  char out[32];
  const char* null_text = nullptr;
  EXPECT_EQ(forward(out, sizeof(out), "%s", null_text), 6u);
  EXPECT_STREQ(out, "(null)");
  forward(out, sizeof(out), "[%8s]", null_text);
  EXPECT_STREQ(out, "[  (null)]");
}

TEST(Format, PrecisionBoundsStringReads) {
  // Exactly sized, not NUL-terminated: ASan reports a read past the precision.
  std::unique_ptr<char[]> text(new char[3]{'a', 'b', 'c'});
  char out[16];
  EXPECT_EQ(format(out, sizeof(out), "%.3s", text.get()), 3u);
  EXPECT_STREQ(out, "abc");
  EXPECT_EQ(format(out, sizeof(out), "%.2s!", text.get()), 3u);
  EXPECT_STREQ(out, "ab!");
}

TEST(Format, UnknownConversionIsCopiedVerbatim) {
  char out[32];
  EXPECT_EQ(forward(out, sizeof(out), "a%yb"), 4u);
  EXPECT_STREQ(out, "a%yb");
  forward(out, sizeof(out), "%-5.3q|%d", 7);
  EXPECT_STREQ(out, "%-5.3q|7");
  EXPECT_EQ(forward(out, sizeof(out), "end%"), 4u);
  EXPECT_STREQ(out, "end%");
  EXPECT_EQ(forward(out, sizeof(out), "end%05"), 6u);
  EXPECT_STREQ(out, "end%05");
}

TEST(Format, SizeZeroWritesNothingButCounts) {
  char out[8];
  memset(out, 'X', sizeof(out));
  EXPECT_EQ(format(out, 0, "hello %d", 12345), 11u);
  for (char c : out) EXPECT_EQ(c, 'X');
  EXPECT_EQ(format(nullptr, 0, "%s", "abc"), 3u);
}

TEST(Format, SizeOneWritesOnlyTheNul) {
  char out[8];
  memset(out, 'X', sizeof(out));
  EXPECT_EQ(format(out, 1, "hello"), 5u);
  EXPECT_EQ(out[0], '\0');
  EXPECT_EQ(out[1], 'X');
}

TEST(Format, TruncationMatchesSnprintfAtEverySize) {
  const char* fmt = "%s-%08x-%-6d|";
  for (size_t size = 0; size <= 32; ++size) {
    std::vector<char> expected(40, 'X');
    std::vector<char> actual(40, 'X');
    int expected_length = snprintf(expected.data(), size, fmt, "abc", 0xbeefu, -12);
    size_t actual_length = format(actual.data(), size, fmt, "abc", 0xbeefu, -12);
    EXPECT_EQ(actual_length, static_cast<size_t>(expected_length)) << "size " << size;
    EXPECT_EQ(actual, expected) << "size " << size;  // also: nothing written past `size`
  }
}

TEST(Format, ExactFitKeepsWholeText) {
  char out[6];
  EXPECT_EQ(format(out, sizeof(out), "%s", "hello"), 5u);
  EXPECT_STREQ(out, "hello");
  EXPECT_EQ(format(out, sizeof(out), "%s", "hello!"), 6u);
  EXPECT_STREQ(out, "hello");
}

TEST(Format, VformatConsumesTheVaList) {
  char out[64];
  EXPECT_EQ(forward(out, sizeof(out), "%d %s %lx %*d", 1, "two", 0x3ul, 3, 4), 11u);
  EXPECT_STREQ(out, "1 two 3   4");
}

}  // namespace
}  // namespace atoll_os::kernel
