// Tests of the boot manifest parser.
#include <gtest/gtest.h>

#include <string>

#include "init/manifest.h"

namespace atoll_os::servers::init {
namespace {

ManifestError parse_error(std::string_view text) {
  ManifestError error{};
  EXPECT_EQ(Manifest::parse(text, &error).error(), Error::kBadFormat) << text;
  return error;
}

TEST(Manifest, TheShippedDefault) {
  Result<Manifest> manifest = Manifest::parse(kDefaultManifest, nullptr);
  ASSERT_TRUE(manifest.ok());
  ASSERT_EQ(manifest->size(), 4u);
  EXPECT_EQ(manifest->at(0).name, "mm");
  EXPECT_EQ(manifest->at(1).name, "pm");
  const ManifestEntry& ctl = manifest->at(3);
  EXPECT_EQ(ctl.name, "ctl");
  ASSERT_EQ(ctl.capability_count, 2u);
  EXPECT_EQ(ctl.capabilities[0].kind, CapabilityKind::kIoPorts);
  EXPECT_EQ(ctl.capabilities[1].kind, CapabilityKind::kIrq);
  EXPECT_EQ(ctl.capabilities[1].irq, 3u);
  EXPECT_STREQ(capability_name(ctl.capabilities[1].kind), "irq");
  EXPECT_EQ(manifest->at(2).capabilities[0].kind, CapabilityKind::kNamesEndpoint);
}

TEST(Manifest, DriverCapabilities) {
  Result<Manifest> manifest = Manifest::parse("mm\npm\nnet @ioports @dma @irq=11\n", nullptr);
  ASSERT_TRUE(manifest.ok());
  const ManifestEntry& net = manifest->at(2);
  ASSERT_EQ(net.capability_count, 3u);
  EXPECT_EQ(net.capabilities[1].kind, CapabilityKind::kDma);
  EXPECT_STREQ(capability_name(CapabilityKind::kDma), "dma");
  EXPECT_FALSE(Manifest::parse("mm\npm\nnet @dmax\n", nullptr).ok());
}

TEST(Manifest, MigrationManagerGetsMmsEndpoint) {
  Result<Manifest> manifest = Manifest::parse("mm\npm\nmigm $node @mm-endpoint\n", nullptr);
  ASSERT_TRUE(manifest.ok());
  const ManifestEntry& migm = manifest->at(2);
  ASSERT_EQ(migm.capability_count, 1u);
  EXPECT_EQ(migm.capabilities[0].kind, CapabilityKind::kMmEndpoint);
  EXPECT_STREQ(capability_name(CapabilityKind::kMmEndpoint), "mm");
  EXPECT_FALSE(Manifest::parse("mm\npm\nmigm @mm-endpoints\n", nullptr).ok());
}

TEST(Manifest, CommentsBlanksArgumentsAndCrLf) {
  Result<Manifest> manifest = Manifest::parse(
      "# servers\r\n\n  mm  # the pager\npm\r\n\t\nbalancer  fast  @irq=12 0x10 # tuned\n",
      nullptr);
  ASSERT_TRUE(manifest.ok());
  ASSERT_EQ(manifest->size(), 3u);
  const ManifestEntry& balancer = manifest->at(2);
  ASSERT_EQ(balancer.argument_count, 2u);
  EXPECT_EQ(balancer.arguments[0], "fast");
  EXPECT_EQ(balancer.arguments[1], "0x10");
  ASSERT_EQ(balancer.capability_count, 1u);
  EXPECT_EQ(balancer.capabilities[0].irq, 12u);
  EXPECT_EQ(manifest->at(0).name, "mm");  // no trailing blank kept
}

TEST(Manifest, OrderOfTheCoreServers) {
  EXPECT_EQ(parse_error("pm\nmm\n").line, 1u);
  EXPECT_EQ(parse_error("mm\nnames\npm\n").line, 2u);
  EXPECT_EQ(parse_error("mm\npm\nmm\n").line, 3u);
  EXPECT_EQ(parse_error("mm\n").line, 1u);
  EXPECT_EQ(parse_error("").line, 0u);
  EXPECT_STREQ(parse_error("mm\npm\nctl\nctl\n").reason, "server repeated");
}

TEST(Manifest, BadCapabilitiesAndLimits) {
  EXPECT_STREQ(parse_error("mm\npm\nctl @disk\n").reason, "unknown capability");
  for (const char* bad : {"mm\npm\nctl @irq=16\n", "mm\npm\nctl @irq=\n", "mm\npm\nctl @irq=3x\n",
                          "mm\npm\nctl @irq=100\n"}) {
    ManifestError error = parse_error(bad);
    EXPECT_EQ(error.line, 3u);
    EXPECT_STREQ(error.reason, "IRQ must be a number from 0 to 15");
  }
  EXPECT_STREQ(parse_error("mm\npm\nx @ioports @ioports @ioports @ioports @ioports\n").reason,
               "too many capabilities");
  EXPECT_STREQ(parse_error("mm\npm\nx 1 2 3 4 5 6 7 8 9\n").reason, "too many arguments");
  EXPECT_STREQ(parse_error("mm\npm\n" + std::string(32, 'n') + "\n").reason,
               "server name longer than 31 characters");
  std::string many = "mm\npm\n";
  for (int i = 0; i < 15; ++i) many += "s" + std::to_string(i) + "\n";
  EXPECT_STREQ(parse_error(many).reason, "too many servers");
}

}  // namespace
}  // namespace atoll_os::servers::init
