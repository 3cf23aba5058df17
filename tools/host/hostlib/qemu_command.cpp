// qemu_argv: the machine every Atoll node runs on.
#include "hostlib/qemu_command.h"

#include "atoll/debug_exit.h"

namespace atoll_os::host {

const char* accel_name(Accel accel) {
  return accel == Accel::kKvm ? "kvm" : "tcg";
}

std::string qemu_escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

namespace {

std::string debug_exit_device() {
  char iobase[8];
  snprintf(iobase, sizeof iobase, "0x%x", kDebugExitPort);
  // iosize 4 lets the kernel use a 32-bit `out`; QEMU exits with (value << 1) | 1.
  return std::string("isa-debug-exit,iobase=") + iobase + ",iosize=0x04";
}

void add_serial(std::vector<std::string>& argv, const NodeConfig& config, const NodeFiles& files) {
  if (config.serial == SerialMode::kTerminal) {
    // mon: multiplexes the monitor onto the console, which is what makes Ctrl-A X work.
    argv.insert(argv.end(), {"-serial", "mon:stdio"});
    return;
  }
  // The legacy file: syntax takes the rest of the string as the path, commas included.
  // With no monitor on stdio, QEMU must not open its default monitor anywhere either.
  argv.insert(argv.end(), {"-serial", "file:" + files.serial_log.string(), "-monitor", "none"});
}

// COM2, after COM1 because QEMU numbers serial ports in order. server=on: QEMU listens and
// the host connects; wait=off: the guest runs without waiting for the host (until then,
// its output to COM2 is dropped, which is why Node connects right after launching QEMU).
void add_control_channel(std::vector<std::string>& argv, const NodeConfig& config,
                         const NodeFiles& files) {
  if (!config.control_channel) return;
  argv.insert(argv.end(), {"-serial", "unix:" + qemu_escape(files.control_socket.string()) +
                                          ",server=on,wait=off"});
}

// The NIC sits at a fixed PCI slot so that the guest's driver finds it in the same place on
// every node. virtio-net-pci on the `pc` machine is a transitional device: it offers the
// legacy interface the guest driver uses. romfile= drops its iPXE option ROM, which only
// slows the BIOS (nodes boot from the CD). 1024 receive buffers instead of 256 absorb the
// bursts a TCG guest cannot take at once (fewer frames dropped at the switch).
void add_nic(std::vector<std::string>& argv, const NodeConfig& config, const NodeFiles& files) {
  if (!config.nic) return;
  const NicConfig& nic = *config.nic;
  argv.insert(
      argv.end(),
      {"-netdev", "vde,id=net0,sock=" + qemu_escape(nic.switch_dir.string()), "-device",
       "virtio-net-pci,netdev=net0,mac=" + nic.mac + ",addr=0x4,romfile=,rx_queue_size=1024"});
  if (nic.pcap) {
    argv.insert(argv.end(), {"-object", "filter-dump,id=dump0,netdev=net0,file=" +
                                            qemu_escape(files.pcap.string())});
  }
}

// The page store's spill disk at a fixed slot, so that its driver finds it on IRQ 10 (slot 5's
// INTA is PCI link A, which the firmware routes to IRQ 10); transitional, like the NIC.
void add_block_disk(std::vector<std::string>& argv, const NodeConfig& config) {
  if (!config.block_disk) return;
  argv.insert(argv.end(),
              {"-drive",
               "file=" + qemu_escape(config.block_disk->string()) + ",format=raw,if=none,id=store0",
               "-device", "virtio-blk-pci,drive=store0,addr=0x5"});
}

}  // namespace

std::vector<std::string> qemu_argv(const NodeConfig& config, const NodeFiles& files) {
  std::vector<std::string> argv = {
      kQemuBinary,
      "-machine",
      "pc",
      "-accel",
      accel_name(config.accel),
      "-m",
      config.memory,
      "-cpu",
      config.cpu,
      "-display",
      "none",
      // A triple fault ends the run (status 0) instead of rebooting into the same fault.
      "-no-reboot",
      "-device",
      debug_exit_device(),
      // No default NIC: its option ROM slows the BIOS; add_nic() adds a cluster's NIC.
      "-nic",
      "none",
      "-drive",
      "file=" + qemu_escape(files.config_disk.string()) + ",format=raw,if=ide,index=0",
      "-drive",
      "file=" + qemu_escape(files.iso.string()) + ",format=raw,if=ide,index=2,media=cdrom",
      "-boot",
      "d",
  };
  add_serial(argv, config, files);
  add_control_channel(argv, config, files);
  add_nic(argv, config, files);
  add_block_disk(argv, config);
  if (config.qmp_socket) {
    argv.insert(argv.end(),
                {"-qmp", "unix:" + qemu_escape(files.qmp_socket.string()) + ",server=on,wait=off"});
  }
  if (config.gdb_port) {
    // Like -s -S, but listening on localhost only and on a port a cluster can vary per node.
    argv.insert(argv.end(), {"-gdb", "tcp:localhost:" + std::to_string(*config.gdb_port), "-S"});
  }
  argv.insert(argv.end(), config.extra_args.begin(), config.extra_args.end());
  return argv;
}

}  // namespace atoll_os::host
