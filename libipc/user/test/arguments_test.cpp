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
  EXPECT_EQ(split("counter\0"
                  "10\0"
                  "250\0"s,
                  3),
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

std::vector<std::string> init_args(const std::string& command_line, size_t block_size = 3072) {
  std::string block(block_size, '\x7f');
  size_t argc =
      init_arguments(command_line.data(), command_line.size(), block.data(), block.size());
  return split(block, argc);
}

TEST(InitArguments, NameFromInitOptionAndWordsAfterDashes) {
  EXPECT_EQ(init_args("loglevel=debug init=counter poweroff_on_init_exit -- 3 100"),
            (std::vector<std::string>{"counter", "3", "100"}));
}

TEST(InitArguments, DefaultsToInitWithoutArguments) {
  EXPECT_EQ(init_args(""), (std::vector<std::string>{"init"}));
  EXPECT_EQ(init_args("selftest  loglevel=info"), (std::vector<std::string>{"init"}));
  EXPECT_EQ(init_args("init= x"), (std::vector<std::string>{"init"}));
}

TEST(InitArguments, OptionsAfterDashesBelongToInit) {
  // "init=" after "--" is an argument of the program, not the kernel's choice of init.
  EXPECT_EQ(init_args("init=a\t--\tinit=b  --  x"),
            (std::vector<std::string>{"a", "init=b", "--", "x"}));
}

TEST(InitArguments, StopsAtNulAndLength) {
  std::string line = "init=memtouch -- 4M 100";
  EXPECT_EQ(init_args(line.substr(0, line.size() - 4)),
            (std::vector<std::string>{"memtouch", "4M"}));
  std::string with_nul = std::string("init=x -- a") + '\0' + " b";
  EXPECT_EQ(init_args(with_nul), (std::vector<std::string>{"x", "a"}));
}

TEST(InitArguments, DropsWordsThatDoNotFit) {
  EXPECT_EQ(init_args("init=abc -- 12 3456", 9), (std::vector<std::string>{"abc", "12"}));
  EXPECT_TRUE(init_args("init=abcdef", 4).empty());
}

}  // namespace
}  // namespace atoll_os::user
