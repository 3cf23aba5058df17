// Tests of split_arguments: argv from ProcessStart::arguments, including malformed blocks.
#include "arguments.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atoll_os::user {
namespace {

std::vector<std::string> split(std::string block, size_t argc) {
  std::vector<char*> argv(max_arguments(argc, block.size()) + 1, nullptr);
  size_t count = split_arguments(block.data(), block.size(), argc, argv.data());
  EXPECT_EQ(argv[count], nullptr);
  return {argv.begin(), argv.begin() + static_cast<ptrdiff_t>(count)};
}

TEST(SplitArguments, SplitsBackToBackStrings) {
  using namespace std::string_literals;
  EXPECT_EQ(split("counter\0" "10\0" "250\0"s, 3),
            (std::vector<std::string>{"counter", "10", "250"}));
}

TEST(SplitArguments, TakesOnlyArgcStrings) {
  using namespace std::string_literals;
  EXPECT_EQ(split("a\0b\0c\0"s, 2), (std::vector<std::string>{"a", "b"}));
}

TEST(SplitArguments, KeepsEmptyStrings) {
  using namespace std::string_literals;
  EXPECT_EQ(split("x\0\0y\0"s, 3), (std::vector<std::string>{"x", "", "y"}));
}

TEST(SplitArguments, StopsWhenTheBlockEndsBeforeArgc) {
  using namespace std::string_literals;
  EXPECT_EQ(split("only\0"s, 5), (std::vector<std::string>{"only"}));
}

TEST(SplitArguments, DropsAStringWithoutNul) {
  using namespace std::string_literals;
  // The second string runs to the end of the block: it must not be handed out.
  EXPECT_EQ(split("ok\0unterminated"s, 2), (std::vector<std::string>{"ok"}));
}

TEST(SplitArguments, ZeroArgcGivesEmptyArgv) {
  using namespace std::string_literals;
  EXPECT_TRUE(split("ignored\0"s, 0).empty());
}

TEST(SplitArguments, HugeArgcIsBoundedByTheBlock) {
  std::string block(16, '\0');  // sixteen empty strings
  EXPECT_EQ(split(block, 1u << 30).size(), 16u);
}

}  // namespace
}  // namespace atoll_os::user
