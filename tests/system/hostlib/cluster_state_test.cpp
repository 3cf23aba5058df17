// ClusterState: the state file of `cluster up`, written and read back.
#include "hostlib/cluster_state.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/host_result_assertion.h"
#include "support/temp_dir.h"

namespace atoll_os::host::testing {
namespace {

ClusterState sample_state() {
  ClusterState state;
  state.vde_switch = DetachedProcess(4399, 123456);
  state.switch_dir = "/b/runs/cluster/switch";
  state.socket_dir = "/b/runs/cluster/switch/switch";
  for (unsigned i = 0; i < 3; ++i) {
    const std::filesystem::path dir = "/b/runs/cluster/node" + std::to_string(i);
    state.nodes.push_back({.address = address_of(i),
                           .qemu = DetachedProcess(static_cast<pid_t>(4400 + i), 123500 + i),
                           .run_dir = dir,
                           .serial_log = dir / "serial.log",
                           .control_socket = dir / "control.sock",
                           .pcap = std::nullopt});
  }
  state.nodes[1].pcap = "/b/runs/cluster/node1/net0.pcap";
  return state;
}

TEST(ClusterStateTest, JsonRoundTripKeepsEveryField) {
  const ClusterState state = sample_state();
  auto back = parse_cluster_state(cluster_state_json(state));
  ASSERT_TRUE(is_ok(back));
  EXPECT_EQ(*back, state);
  EXPECT_EQ(back->nodes[2].address.ip, "10.77.0.3");
  EXPECT_FALSE(back->nodes[0].pcap.has_value());
  EXPECT_EQ(back->nodes[1].pcap, std::filesystem::path("/b/runs/cluster/node1/net0.pcap"));
}

TEST(ClusterStateTest, FileRoundTripAndAMissingFileMeansNoCluster) {
  TempDir tmp;
  const auto file = tmp.path() / "state.json";
  EXPECT_EQ(read_cluster_state(file).error(), Error::kNotFound);
  ASSERT_TRUE(is_ok(write_cluster_state(sample_state(), file)));
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  auto back = read_cluster_state(file);
  ASSERT_TRUE(is_ok(back));
  EXPECT_EQ(*back, sample_state());
}

TEST(ClusterStateTest, DamagedStateIsRefusedNamingTheField) {
  std::string json = cluster_state_json(sample_state());
  const std::string field = "\"control_socket\"";
  json.replace(json.find(field), field.size(), "\"ctl_socket\"");
  auto damaged = parse_cluster_state(json);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error(), Error::kBadFormat);
  EXPECT_NE(damaged.failure().message.find("nodes[0].control_socket"), std::string::npos)
      << damaged.failure().message;

  std::string pid_text = cluster_state_json(sample_state());
  pid_text.replace(pid_text.find("4399"), 4, "\"x\"");
  auto bad_pid = parse_cluster_state(pid_text);
  ASSERT_FALSE(bad_pid.ok());
  EXPECT_NE(bad_pid.failure().message.find("state.switch.pid"), std::string::npos)
      << bad_pid.failure().message;

  EXPECT_EQ(parse_cluster_state("[]").error(), Error::kBadFormat);
  EXPECT_EQ(parse_cluster_state("{\"version\":99}").error(), Error::kBadFormat);
  EXPECT_FALSE(parse_cluster_state("{\"version\":1,").ok());
}

}  // namespace
}  // namespace atoll_os::host::testing
