// atoll-host's option parsing, the cluster options in particular.
#include "cli/cli_options.h"

#include <gtest/gtest.h>

#include "support/host_result_assertion.h"

namespace atoll_os::host::cli {
namespace {

using host::testing::is_ok;

HostResult<ClusterConfig> cluster_from(const std::vector<std::string>& args) {
  CliOptions options = HOST_TRY(parse_options(args));
  return cluster_config(options);
}

TEST(CliOptionsTest, ClusterOptionsBecomeAClusterConfig) {
  auto config =
      cluster_from({"up", "--nodes", "4", "--cpu", "qemu64,max,max,qemu64", "--memory=512M",
                    "--accel", "kvm", "--pcap", "0,3", "--cmdline", "selftest"});
  ASSERT_TRUE(is_ok(config));
  EXPECT_EQ(config->nodes, 4u);
  EXPECT_EQ(config->cpu, (std::vector<std::string>{"qemu64", "max", "max", "qemu64"}));
  EXPECT_EQ(config->memory, (std::vector<std::string>{"512M"}));
  EXPECT_EQ(config->accel, Accel::kKvm);
  EXPECT_EQ(config->pcap, (std::set<unsigned>{0, 3}));
  EXPECT_EQ(config->extra_cmdline, "selftest");
}

TEST(CliOptionsTest, DefaultsAreThreeTcgNodesWithoutCapture) {
  auto config = cluster_from({"up"});
  ASSERT_TRUE(is_ok(config));
  EXPECT_EQ(config->nodes, 3u);
  EXPECT_EQ(config->accel, Accel::kTcg);
  EXPECT_EQ(config->cpu, (std::vector<std::string>{"qemu64"}));
  EXPECT_TRUE(config->pcap.empty());
  EXPECT_EQ(config->extra_cmdline, "");
}

TEST(CliOptionsTest, PcapAllNamesEveryNodeWhicheverOptionComesFirst) {
  auto config = cluster_from({"up", "--pcap", "all", "--nodes", "2"});
  ASSERT_TRUE(is_ok(config));
  EXPECT_EQ(config->pcap, (std::set<unsigned>{0, 1}));
}

TEST(CliOptionsTest, CpuFeaturesStayWithTheirModel) {
  auto cpus = split_cpu_list("max,+x2apic,-sse4.2,qemu64,pmu=off");
  ASSERT_TRUE(is_ok(cpus));
  EXPECT_EQ(*cpus, (std::vector<std::string>{"max,+x2apic,-sse4.2", "qemu64,pmu=off"}));
  EXPECT_EQ(split_cpu_list("+x2apic,max").error(), Error::kInvalidArgument);
}

TEST(CliOptionsTest, BadClusterOptionsAreRefusedWithTheirName) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const Case cases[] = {
      {{"up", "--nodes", "0"}, "--nodes"},
      {{"up", "--nodes", "255"}, "--nodes"},
      {{"up", "--nodes", "three"}, "--nodes"},
      {{"up", "--nodes", "3", "--pcap", "3"}, "--pcap"},
      {{"up", "--pcap", "1,,2"}, "--pcap"},
      {{"up", "--pcap", "some"}, "--pcap"},
      {{"up", "--memory", "1G,"}, "--memory"},
      {{"up", "--nodes", "3", "--cpu", "a,b"}, "2 values for 3 nodes"},
      {{"up", "--cmdline", "x=\"y\""}, "'\"'"},
      {{"up", "--bogus"}, "--bogus"},
      {{"up", "--nodes"}, "needs a value"},
  };
  for (const Case& c : cases) {
    auto config = cluster_from(c.args);
    ASSERT_FALSE(config.ok()) << c.args.back();
    EXPECT_EQ(config.error(), Error::kInvalidArgument) << c.args.back();
    EXPECT_NE(config.failure().message.find(c.says), std::string::npos) << config.failure().message;
  }
}

TEST(CliOptionsTest, SplitListKeepsOrder) {
  auto items = split_list("256M,1G,512M", "memory");
  ASSERT_TRUE(is_ok(items));
  EXPECT_EQ(*items, (std::vector<std::string>{"256M", "1G", "512M"}));
  EXPECT_EQ(split_list("", "memory").error(), Error::kInvalidArgument);
}

}  // namespace
}  // namespace atoll_os::host::cli
