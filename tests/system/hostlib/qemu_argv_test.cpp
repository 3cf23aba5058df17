// qemu_argv: the QEMU command line every launcher shares.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "hostlib/qemu_command.h"

namespace atoll_os::host {
namespace {

NodeFiles files() {
  return {.iso = "/b/boot/atoll.iso",
          .config_disk = "/b/runs/n-1-0/config.img",
          .serial_log = "/b/runs/n-1-0/serial.log",
          .qmp_socket = "/b/runs/n-1-0/qmp.sock",
          .control_socket = "/b/runs/n-1-0/control.sock",
          .pcap = "/b/runs/n-1-0/net0.pcap"};
}

// The value that follows `option` (its first occurrence), or "" if absent.
std::string value_of(const std::vector<std::string>& argv, const std::string& option) {
  auto it = std::find(argv.begin(), argv.end(), option);
  return (it == argv.end() || it + 1 == argv.end()) ? "" : *(it + 1);
}

bool has(const std::vector<std::string>& argv, const std::string& arg) {
  return std::find(argv.begin(), argv.end(), arg) != argv.end();
}

std::vector<std::string> values_of(const std::vector<std::string>& argv,
                                   const std::string& option) {
  std::vector<std::string> values;
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == option) values.push_back(argv[i + 1]);
  }
  return values;
}

TEST(QemuArgvTest, DefaultsDescribeTheStandardNode) {
  const auto argv = qemu_argv(NodeConfig{}, files());
  EXPECT_EQ(argv.front(), "qemu-system-x86_64");
  EXPECT_EQ(value_of(argv, "-machine"), "pc");
  EXPECT_EQ(value_of(argv, "-accel"), "tcg");
  EXPECT_EQ(value_of(argv, "-m"), "256M");
  EXPECT_EQ(value_of(argv, "-cpu"), "qemu64");
  EXPECT_EQ(value_of(argv, "-display"), "none");
  EXPECT_TRUE(has(argv, "-no-reboot"));
  EXPECT_EQ(value_of(argv, "-device"), "isa-debug-exit,iobase=0xf4,iosize=0x04");
  EXPECT_EQ(value_of(argv, "-boot"), "d");
  EXPECT_FALSE(has(argv, "-S")) << "a node must not wait for gdb unless asked";
  EXPECT_FALSE(has(argv, "-qmp"));
}

TEST(QemuArgvTest, ConfigDiskIsFirstIdeDiskAndIsoIsCdrom) {
  const auto drives = values_of(qemu_argv(NodeConfig{}, files()), "-drive");
  ASSERT_EQ(drives.size(), 2u);
  EXPECT_EQ(drives[0], "file=/b/runs/n-1-0/config.img,format=raw,if=ide,index=0");
  EXPECT_EQ(drives[1], "file=/b/boot/atoll.iso,format=raw,if=ide,index=2,media=cdrom");
}

TEST(QemuArgvTest, LogFileModeWritesSerialToTheRunDirectoryWithoutMonitor) {
  const auto argv = qemu_argv(NodeConfig{}, files());
  EXPECT_EQ(value_of(argv, "-serial"), "file:/b/runs/n-1-0/serial.log");
  EXPECT_EQ(value_of(argv, "-monitor"), "none");
}

TEST(QemuArgvTest, TerminalModeMultiplexesMonitorOnStdio) {
  NodeConfig config;
  config.serial = SerialMode::kTerminal;
  const auto argv = qemu_argv(config, files());
  EXPECT_EQ(value_of(argv, "-serial"), "mon:stdio");
  EXPECT_FALSE(has(argv, "-monitor"));
}

TEST(QemuArgvTest, ControlChannelIsTheSecondSerialPortOnAUnixSocket) {
  for (SerialMode mode : {SerialMode::kLogFile, SerialMode::kTerminal}) {
    NodeConfig config;
    config.serial = mode;
    const auto serials = values_of(qemu_argv(config, files()), "-serial");
    ASSERT_EQ(serials.size(), 2u) << "COM1 is the console, COM2 the control channel";
    EXPECT_EQ(serials[1], "unix:/b/runs/n-1-0/control.sock,server=on,wait=off");
  }
  NodeConfig without;
  without.control_channel = false;
  EXPECT_EQ(values_of(qemu_argv(without, files()), "-serial").size(), 1u);
  NodeFiles f = files();
  f.control_socket = "/r,s/control.sock";
  EXPECT_EQ(values_of(qemu_argv(NodeConfig{}, f), "-serial")[1],
            "unix:/r,,s/control.sock,server=on,wait=off");
}

TEST(QemuArgvTest, OptionsChangeAccelMemoryCpuAndAddGdbAndQmp) {
  NodeConfig config;
  config.accel = Accel::kKvm;
  config.memory = "1G";
  config.cpu = "host";
  config.gdb_port = 4321;
  config.qmp_socket = true;
  const auto argv = qemu_argv(config, files());
  EXPECT_EQ(value_of(argv, "-accel"), "kvm");
  EXPECT_EQ(value_of(argv, "-m"), "1G");
  EXPECT_EQ(value_of(argv, "-cpu"), "host");
  EXPECT_EQ(value_of(argv, "-gdb"), "tcp:localhost:4321");
  EXPECT_TRUE(has(argv, "-S"));
  EXPECT_EQ(value_of(argv, "-qmp"), "unix:/b/runs/n-1-0/qmp.sock,server=on,wait=off");
}

NodeConfig with_nic(bool pcap) {
  NodeConfig config;
  config.nic =
      NicConfig{.switch_dir = "/b/runs/sw/switch", .mac = "52:54:00:77:00:02", .pcap = pcap};
  return config;
}

TEST(QemuArgvTest, NoNicUnlessOneIsConfigured) {
  const auto argv = qemu_argv(NodeConfig{}, files());
  EXPECT_EQ(value_of(argv, "-nic"), "none");
  EXPECT_FALSE(has(argv, "-netdev"));
  EXPECT_FALSE(has(argv, "-object"));
}

TEST(QemuArgvTest, NicIsVirtioNetAtSlotFourOnTheVdeSwitch) {
  const auto argv = qemu_argv(with_nic(false), files());
  EXPECT_EQ(value_of(argv, "-netdev"), "vde,id=net0,sock=/b/runs/sw/switch");
  const auto devices = values_of(argv, "-device");
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(
      devices[1],
      "virtio-net-pci,netdev=net0,mac=52:54:00:77:00:02,addr=0x4,romfile=,rx_queue_size=1024");
  EXPECT_FALSE(has(argv, "-object")) << "no capture unless asked";
}

TEST(QemuArgvTest, PcapDumpsTheNicsTrafficIntoTheRunDirectory) {
  const auto argv = qemu_argv(with_nic(true), files());
  EXPECT_EQ(value_of(argv, "-object"),
            "filter-dump,id=dump0,netdev=net0,file=/b/runs/n-1-0/net0.pcap");
  NodeFiles f = files();
  f.pcap = "/r,s/net0.pcap";
  EXPECT_EQ(value_of(qemu_argv(with_nic(true), f), "-object"),
            "filter-dump,id=dump0,netdev=net0,file=/r,,s/net0.pcap");
}

TEST(QemuArgvTest, ExtraArgsComeLastInOrder) {
  NodeConfig config;
  config.extra_args = {"-netdev", "vde,id=n0,sock=/tmp/sw", "-device", "e1000,netdev=n0"};
  const auto argv = qemu_argv(config, files());
  ASSERT_GE(argv.size(), 4u);
  EXPECT_TRUE(std::equal(config.extra_args.begin(), config.extra_args.end(), argv.end() - 4));
}

TEST(QemuArgvTest, CommasInPathsAreEscapedForDriveOptions) {
  NodeFiles f = files();
  f.iso = "/b,c/atoll.iso";
  const auto drives = values_of(qemu_argv(NodeConfig{}, f), "-drive");
  ASSERT_EQ(drives.size(), 2u);
  EXPECT_EQ(drives[1], "file=/b,,c/atoll.iso,format=raw,if=ide,index=2,media=cdrom");
  EXPECT_EQ(qemu_escape("a,b,,c"), "a,,b,,,,c");
}

}  // namespace
}  // namespace atoll_os::host
