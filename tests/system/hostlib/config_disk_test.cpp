// Config disk: command-line validation, the GRUB script line, and the FAT image contents.
#include "hostlib/config_disk.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "hostlib/process.h"
#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

TEST(ConfigDiskTest, AcceptsOrdinaryCommandLines) {
  EXPECT_TRUE(is_ok(validate_cmdline("")));
  EXPECT_TRUE(is_ok(validate_cmdline("exit_after_boot crash=page_fault selftest")));
  EXPECT_TRUE(is_ok(validate_cmdline("node=3 peers=1,2,4 log=/dev/ttyS0 a'b")));
}

TEST(ConfigDiskTest, RefusesCharactersThatBreakGrubsQuotedString) {
  for (const char* bad : {"a\"b", "a\\b", "a$b", "a\nb", "a\tb", "a\x01"}) {
    auto r = validate_cmdline(bad);
    EXPECT_FALSE(r.ok()) << "accepted: " << bad;
    EXPECT_EQ(r.error(), Error::kInvalidArgument);
  }
  auto quote = validate_cmdline("x=\"y\"");
  ASSERT_FALSE(quote.ok());
  EXPECT_NE(quote.failure().message.find("must not contain '\"' (at offset 2"), std::string::npos)
      << quote.failure().message;
}

TEST(ConfigDiskTest, GrubConfigSetsAtollCmdline) {
  auto text = grub_config_text("exit_after_boot selftest");
  ASSERT_TRUE(is_ok(text));
  EXPECT_EQ(*text, "set atoll_cmdline=\"exit_after_boot selftest\"\n");
  EXPECT_FALSE(grub_config_text("a\"b").ok());
}

TEST(ConfigDiskTest, ImageHoldsAtollCfgAtItsRoot) {
  TempDir dir;
  auto image = make_config_disk(dir.path(), "selftest crash=page_fault");
  ASSERT_TRUE(is_ok(image));
  EXPECT_EQ(std::filesystem::file_size(*image), 1440u * 1024u);

  // Read it back the way a second tool would: mtype prints a file inside a FAT image.
  auto content =
      run_command({"mtype", "-i", image->string(), "::/atoll.cfg"}, std::chrono::seconds(30));
  ASSERT_TRUE(is_ok(content));
  EXPECT_EQ(content->output, "set atoll_cmdline=\"selftest crash=page_fault\"\n");
}

TEST(ConfigDiskTest, RefusedCommandLineMakesNoImage) {
  TempDir dir;
  EXPECT_FALSE(make_config_disk(dir.path(), "a\"b").ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "config.img"));
}

}  // namespace
}  // namespace atoll_os::host::testing
