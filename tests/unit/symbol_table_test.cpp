// Tests for the kernel symbol map: lookups with and without sizes, odd lines, odd names.
#include "lib/symbol_table.h"

#include <gtest/gtest.h>

#include <string.h>

#include <algorithm>
#include <memory>
#include <string>

namespace atoll_os::kernel {
namespace {

constexpr char kSizedMap[] =
    "ffffffff80000000 0000000000000010 T _start\n"
    "ffffffff80001000 0000000000000020 T atoll_os::kernel::panic(char const*, ...)\n"
    "ffffffff80001020 0000000000000040 t helper\n"
    "ffffffff80002000 0000000000000100 D some_data\n"
    "ffffffff80003000 0000000000000008 W weak_function\n"
    "ffffffff80003010 0000000000000010 w weak_local\n"
    "ffffffff80003100 0000000000000100 r read_only_table\n"
    "ffffffff80004000 0000000000000030 T operator new(unsigned long)\n";

std::string name_at(const SymbolTable& table, uint64_t address) {
  Result<SymbolTable::Location> found = table.lookup(address);
  return found.ok() ? std::string(found->name) : std::string("<") + error_name(found.error()) + ">";
}

TEST(SymbolTable, SizedLookupAtStartInsideAndEnd) {
  SymbolTable table(kSizedMap);
  Result<SymbolTable::Location> start = table.lookup(0xffffffff80001000);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->name, "atoll_os::kernel::panic(char const*, ...)");
  EXPECT_EQ(start->offset, 0u);
  Result<SymbolTable::Location> last = table.lookup(0xffffffff8000101f);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->name, "atoll_os::kernel::panic(char const*, ...)");
  EXPECT_EQ(last->offset, 0x1fu);
  // One past the end of panic is the start of the adjacent local function.
  Result<SymbolTable::Location> next = table.lookup(0xffffffff80001020);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->name, "helper");
  EXPECT_EQ(next->offset, 0u);
  EXPECT_EQ(name_at(table, 0xffffffff8000105f), "helper");
}

TEST(SymbolTable, PastTheEndOfASizedSymbolIsNotFound) {
  SymbolTable table(kSizedMap);
  EXPECT_EQ(name_at(table, 0xffffffff80000010), "<not_found>");  // just past _start
  EXPECT_EQ(name_at(table, 0xffffffff80001060), "<not_found>");  // just past helper
  EXPECT_EQ(name_at(table, 0xffffffff80000fff), "<not_found>");
  EXPECT_EQ(name_at(table, 0xffffffff7fffffff), "<not_found>");  // before everything
  EXPECT_EQ(name_at(table, 0), "<not_found>");
}

TEST(SymbolTable, DataSymbolsAreSkipped) {
  SymbolTable table(kSizedMap);
  EXPECT_EQ(name_at(table, 0xffffffff80002000), "<not_found>");
  EXPECT_EQ(name_at(table, 0xffffffff80003100), "<not_found>");
  EXPECT_EQ(table.address_of("some_data").error(), Error::kNotFound);
  EXPECT_EQ(table.address_of("read_only_table").error(), Error::kNotFound);
}

TEST(SymbolTable, WeakSymbolsAreCode) {
  SymbolTable table(kSizedMap);
  EXPECT_EQ(name_at(table, 0xffffffff80003004), "weak_function");
  EXPECT_EQ(name_at(table, 0xffffffff80003010), "weak_local");
  EXPECT_EQ(name_at(table, 0xffffffff80004010), "operator new(unsigned long)");
}

TEST(SymbolTable, AddressOfMatchesWholeNamesOnly) {
  SymbolTable table(kSizedMap);
  EXPECT_EQ(*table.address_of("atoll_os::kernel::panic(char const*, ...)"), 0xffffffff80001000u);
  EXPECT_EQ(*table.address_of("helper"), 0xffffffff80001020u);
  EXPECT_EQ(*table.address_of("operator new(unsigned long)"), 0xffffffff80004000u);
  EXPECT_EQ(table.address_of("atoll_os::kernel::panic").error(), Error::kNotFound);
  EXPECT_EQ(table.address_of("help").error(), Error::kNotFound);
  EXPECT_EQ(table.address_of("").error(), Error::kNotFound);
}

TEST(SymbolTable, WithoutSizesTheNearestLowerSymbolWins) {
  SymbolTable table(
      "ffffffff80000000 T _start\n"
      "ffffffff80000100 T kernel_main\n"
      "ffffffff80000200 b not_code\n"
      "ffffffff80000400 t irq_stub\n");
  Result<SymbolTable::Location> found = table.lookup(0xffffffff800001ff);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->name, "kernel_main");
  EXPECT_EQ(found->offset, 0xffu);
  EXPECT_EQ(name_at(table, 0xffffffff80000300), "kernel_main");  // 'b' is not code
  Result<SymbolTable::Location> far = table.lookup(0xffffffff80100000);
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(far->name, "irq_stub");
  EXPECT_EQ(far->offset, 0xffc00u);
  EXPECT_EQ(name_at(table, 0xffffffff80000000), "_start");
}

TEST(SymbolTable, MixedSizedAndUnsizedLines) {
  SymbolTable table(
      "ffffffff80000000 T entry_label\n"
      "ffffffff80000100 0000000000000010 T sized\n"
      "ffffffff80000200 T later_label\n");
  EXPECT_EQ(name_at(table, 0xffffffff80000050), "entry_label");
  EXPECT_EQ(name_at(table, 0xffffffff80000108), "sized");
  EXPECT_EQ(name_at(table, 0xffffffff80000150), "<not_found>");  // past `sized`, no fallback
  EXPECT_EQ(name_at(table, 0xffffffff80000250), "later_label");
}

TEST(SymbolTable, UnsortedInputStillPicksGreatestStart) {
  SymbolTable table(
      "ffffffff80000300 T c\n"
      "ffffffff80000100 T a\n"
      "ffffffff80000200 T b\n");
  EXPECT_EQ(name_at(table, 0xffffffff80000250), "b");
  EXPECT_EQ(name_at(table, 0xffffffff80000150), "a");
  EXPECT_EQ(name_at(table, 0xffffffff80000350), "c");
}

TEST(SymbolTable, AliasesAtOneAddressPreferTheCoveringOne) {
  SymbolTable table(
      "ffffffff80000100 0000000000000004 T short_alias\n"
      "ffffffff80000100 0000000000000040 T long_alias\n");
  EXPECT_EQ(name_at(table, 0xffffffff80000102), "short_alias");
  EXPECT_EQ(name_at(table, 0xffffffff80000120), "long_alias");
}

TEST(SymbolTable, MalformedLinesAreSkipped) {
  SymbolTable table(
      "garbage\n"
      "\n"
      "xyz T bad_address\n"
      "ffffffff80000000\n"
      "ffffffff80000000 T\n"
      "ffffffff80000000 T \n"
      "ffffffff80000000  T double_space\n"
      "11112222333344445555 T seventeen_plus_digits\n"
      "ffffffff80000000 00000000000000zz T bad_size\n"
      "ffffffff80000000 0000000000000010 TT two_letter_type\n"
      "ffffffff80000000 0000000000000010\n"
      " ffffffff80000000 T leading_space\n"
      "ffffffff80000000 0000000000001000 T good\n");
  EXPECT_EQ(name_at(table, 0xffffffff80000010), "good");
  for (const char* name : {"bad_address", "double_space", "seventeen_plus_digits", "bad_size",
                           "two_letter_type", "leading_space", ""}) {
    EXPECT_EQ(table.address_of(name).error(), Error::kNotFound) << name;
  }
}

TEST(SymbolTable, CarriageReturnsAreNotPartOfNames) {
  SymbolTable table("ffffffff80000000 0000000000000010 T crlf_name\r\n");
  EXPECT_EQ(name_at(table, 0xffffffff80000004), "crlf_name");
}

TEST(SymbolTable, LastLineWithoutNewline) {
  SymbolTable table(
      "ffffffff80000000 0000000000000010 T first\n"
      "ffffffff80000100 0000000000000010 T last");
  EXPECT_EQ(name_at(table, 0xffffffff80000105), "last");
  EXPECT_EQ(*table.address_of("last"), 0xffffffff80000100u);
}

TEST(SymbolTable, EmptyTextFindsNothing) {
  SymbolTable empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.lookup(0xffffffff80000000).error(), Error::kNotFound);
  EXPECT_EQ(empty.address_of("x").error(), Error::kNotFound);
  SymbolTable not_empty("x");
  EXPECT_FALSE(not_empty.empty());
}

// Every prefix of a map, in an exactly sized buffer: ASan catches any read past it, and a
// cut-off last line yields at most the part of the name that is there.
TEST(SymbolTable, NeverReadsPastTheText) {
  std::string_view map(kSizedMap);
  const std::string_view last_name = "operator new(unsigned long)";
  const size_t name_start = map.size() - 1 - last_name.size();
  for (size_t length = 0; length <= map.size(); ++length) {
    std::unique_ptr<char[]> exact(new char[length == 0 ? 1 : length]);
    memcpy(exact.get(), map.data(), length);
    SymbolTable table(std::string_view(exact.get(), length));
    Result<SymbolTable::Location> found = table.lookup(0xffffffff80004000);
    ASSERT_EQ(found.ok(), length > name_start) << "length " << length;
    if (found.ok()) {
      size_t name_length = std::min(length, map.size() - 1) - name_start;
      EXPECT_EQ(found->name, last_name.substr(0, name_length)) << "length " << length;
    }
    EXPECT_EQ(table.address_of("helper").ok(), length >= map.find("helper\n") + 6)
        << "length " << length;
  }
}

}  // namespace
}  // namespace atoll_os::kernel
