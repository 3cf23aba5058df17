// `run` and `debug`: nodes a person drives from the terminal.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "hostlib/kernel_exit.h"
#include "hostlib/node.h"

namespace atoll_os::host::cli {
namespace {

// A debugging session lasts as long as the person wants; wait in slices of this length.
constexpr auto kGdbWaitSlice = std::chrono::hours(1);

// While gdb runs, the terminal's Ctrl-C belongs to gdb (it interrupts the guest); this
// process, in the same foreground group, must survive it to stop QEMU afterwards.
class IgnoreTerminalSignals {
 public:
  IgnoreTerminalSignals() {
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old_int_);
    sigaction(SIGQUIT, &ignore, &old_quit_);
  }
  ~IgnoreTerminalSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGQUIT, &old_quit_, nullptr);
  }

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_quit_ = {};
};

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

int report(const Failure& failure) {
  fprintf(stderr, "atoll-host: %s\n", failure.describe().c_str());
  return 1;
}

int report_usage(const Failure& failure) {
  report(failure);
  return 2;
}

int run_node(const CliOptions& options) {
  NodeConfig config = options.node;
  config.name = options.name.value_or("run");
  config.serial = SerialMode::kTerminal;
  auto node = Node::create(config);
  if (!node) return report(node.failure());
  // exec replaces this process, so the Node's destructor never runs: the run directory
  // (QEMU still needs its config disk) stays behind under runs/.
  fprintf(stderr, "atoll-host: run directory %s; Ctrl-A X quits, Ctrl-A C toggles the monitor\n",
          (*node)->run_dir().c_str());
  fprintf(stderr, "atoll-host: control channel (COM2): socat - UNIX-CONNECT:%s\n",
          (*node)->files().control_socket.c_str());
  std::vector<char*> argv = c_argv((*node)->argv());
  execvp(argv[0], argv.data());
  return report(
      fail(Error::kNotFound, std::string("cannot execute ") + argv[0] + ": " + strerror(errno)));
}

int debug_node(const CliOptions& options) {
  const BuildTree tree = BuildTree::configured();
  if (!std::filesystem::exists(tree.kernel_elf())) {
    return report(fail(Error::kNotFound, "no kernel ELF at " + tree.kernel_elf().string() +
                                             "; build the atoll_kernel target first"));
  }
  NodeConfig config = options.node;
  config.name = options.name.value_or("debug");
  config.serial = SerialMode::kLogFile;  // the terminal belongs to gdb
  config.gdb_port = options.gdb_port;
  auto created = Node::create(config, tree);
  if (!created) return report(created.failure());
  Node& node = **created;
  node.keep_run_dir();  // the console log is worth reading after the session
  if (auto started = node.start(); !started) return report(started.failure());
  fprintf(stderr, "atoll-host: QEMU waits for gdb on localhost:%u; console: tail -f %s\n",
          options.gdb_port, node.files().serial_log.c_str());

  IgnoreTerminalSignals ignore;
  // gdb retries a refused connection (`tcp auto-retry`), so it may start before QEMU listens.
  const std::string target = "target remote localhost:" + std::to_string(options.gdb_port);
  auto gdb = Process::spawn({"gdb", "-q", "-ex", target, tree.kernel_elf().string()},
                            {.own_process_group = false});
  if (!gdb) return report(gdb.failure());
  while (!gdb->wait(kGdbWaitSlice)) {
  }
  const ExitStatus qemu = node.stop();
  fprintf(stderr, "atoll-host: gdb exited; QEMU %s; run directory %s\n",
          describe_node_exit(qemu).c_str(), node.run_dir().c_str());
  return 0;
}

}  // namespace atoll_os::host::cli
