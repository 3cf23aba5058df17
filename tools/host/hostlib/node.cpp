// Node: preparing, launching, watching and tearing down one QEMU machine.
#include "hostlib/node.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "hostlib/config_disk.h"
#include "hostlib/kernel_exit.h"
#include "hostlib/socket_path.h"

namespace atoll_os::host {
namespace {

// How often waits look at the log: the resolution of boot timings, at ~1000 cheap reads a
// second while a test waits.
constexpr auto kLogPollInterval = std::chrono::milliseconds(1);

// QEMU's own output can be long (a trace); failure reports show only its end.
constexpr size_t kMaxQemuOutputInReport = 4000;

// QEMU creates the control socket while it starts; this only catches a QEMU that hangs.
constexpr auto kControlConnectTimeout = std::chrono::seconds(20);

// The node's own directory: the one its config names, or a fresh one under runs/.
HostResult<std::filesystem::path> make_run_dir(const NodeConfig& config, const BuildTree& tree) {
  if (!config.run_dir) return tree.make_run_dir(config.name);
  std::error_code ec;
  std::filesystem::create_directories(*config.run_dir, ec);
  if (ec) {
    return fail(Error::kAccessDenied,
                "cannot create " + config.run_dir->string() + ": " + ec.message());
  }
  return *config.run_dir;
}

std::string seconds_text(std::chrono::milliseconds d) {
  std::ostringstream s;
  s << static_cast<double>(d.count()) / 1000.0 << " s";
  return s.str();
}

}  // namespace

HostResult<std::unique_ptr<Node>> Node::create(NodeConfig config, const BuildTree& tree) {
  // Checked before anything touches the disk, so a refused command line leaves no trace.
  HOST_TRY(validate_cmdline(config.cmdline));
  if (!std::filesystem::exists(tree.iso())) {
    return fail(Error::kNotFound,
                "no ISO at " + tree.iso().string() + "; build the atoll_iso target first");
  }
  std::filesystem::path dir = HOST_TRY(make_run_dir(config, tree));
  auto disk = make_config_disk(dir, config.cmdline);
  if (!disk) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return disk.failure();
  }
  std::filesystem::path link;
  auto socket_dir = short_socket_dir(dir, std::string_view("/control.sock").size(), link);
  if (!socket_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return socket_dir.failure();
  }
  NodeFiles files{
      .iso = tree.iso(),
      .config_disk = disk.release_value(),
      .serial_log = dir / "serial.log",
      .qmp_socket = dir / "qmp.sock",
      .control_socket = *socket_dir / "control.sock",
      .pcap = dir / "net0.pcap",
  };
  return std::unique_ptr<Node>(
      new Node(std::move(config), std::move(dir), std::move(files), std::move(link)));
}

Node::Node(NodeConfig config, std::filesystem::path run_dir, NodeFiles files,
           std::filesystem::path socket_link)
    : config_(std::move(config)),
      run_dir_(std::move(run_dir)),
      files_(std::move(files)),
      argv_(qemu_argv(config_, files_)),
      log_(files_.serial_log),
      socket_link_(std::move(socket_link)) {}

Node::~Node() {
  stop();
  std::error_code ec;
  if (!socket_link_.empty()) std::filesystem::remove(socket_link_, ec);
  if (!keep_run_dir_) std::filesystem::remove_all(run_dir_, ec);
}

HostResult<void> Node::start() {
  if (process_) return fail(Error::kBusy, "node " + config_.name + " was already started");
  SpawnOptions options;
  int null_fd = -1;
  int out_fd = -1;
  if (config_.serial == SerialMode::kLogFile) {
    null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    out_fd = open((run_dir_ / "qemu.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    options = {.stdin_fd = null_fd, .stdout_fd = out_fd, .stderr_fd = out_fd};
  }
  options.new_session = config_.detachable;
  launched_at_ = Clock::now();
  auto spawned = Process::spawn(argv_, options);
  if (null_fd >= 0) close(null_fd);
  if (out_fd >= 0) close(out_fd);
  if (!spawned) return spawned.failure();
  process_.emplace(spawned.release_value());
  if (config_.control_channel) {
    auto channel = ControlChannel::connect(files_.control_socket, kControlConnectTimeout,
                                           [this] { return process_->running(); });
    if (!channel) {
      stop();
      return fail(channel.error(), "node " + config_.name + ": " + channel.failure().message +
                                       "; QEMU's output: " + qemu_output());
    }
    control_.emplace(channel.release_value());
    control_->set_transcript(run_dir_ / "control.log");
  }
  return {};
}

HostResult<uint64_t> Node::wait_control_ready(std::chrono::milliseconds timeout) {
  if (!control_) {
    return fail(Error::kBadHandle, "node " + config_.name + " has no control channel");
  }
  auto node = control_->wait_ready(timeout);
  if (!node) {
    return fail(node.error(), "ctl on node " + config_.name +
                                  " never said it was ready: " + node.failure().message);
  }
  return node;
}

std::optional<LogMatch> Node::match_from(const LogPattern& pattern, size_t from_line) const {
  const auto& lines = log_.lines();
  for (size_t i = from_line; i < lines.size(); ++i) {
    LogMatch m;
    if (!pattern.matches(lines[i].text, &m.groups)) continue;
    m.line_index = i;
    m.line = lines[i].text;
    m.since_launch = lines[i].seen_at - launched_at_.value_or(lines[i].seen_at);
    return m;
  }
  return std::nullopt;
}

HostResult<LogMatch> Node::wait_for(const LogPattern& pattern, std::chrono::milliseconds timeout,
                                    size_t from_line) {
  if (!process_) return fail(Error::kBadHandle, "node " + config_.name + " was not started");
  const auto deadline = Clock::now() + timeout;
  size_t next = from_line;
  for (;;) {
    // Look at the process before the log: once it has exited, the read that follows sees
    // everything it wrote.
    const std::optional<ExitStatus> ended = process_->poll();
    if (ended)
      log_.finish();
    else
      log_.poll();
    if (auto m = match_from(pattern, next)) return *m;
    next = std::max(next, log_.lines().size());
    if (ended) {
      return fail(Error::kNotFound, "node " + config_.name + " ended (" +
                                        describe_node_exit(*ended) + ") before " +
                                        pattern.describe() + " appeared on its console");
    }
    if (Clock::now() >= deadline) {
      return fail(Error::kTimedOut, "no " + pattern.describe() + " on the console of node " +
                                        config_.name + " within " + seconds_text(timeout));
    }
    std::this_thread::sleep_for(kLogPollInterval);
  }
}

HostResult<ExitStatus> Node::wait_exit(std::chrono::milliseconds timeout) {
  if (!process_) return fail(Error::kBadHandle, "node " + config_.name + " was not started");
  auto status = process_->wait(timeout);
  if (!status) {
    return fail(Error::kTimedOut,
                "node " + config_.name + " still running after " + seconds_text(timeout));
  }
  log_.finish();
  return *status;
}

std::optional<ExitStatus> Node::exit_status() {
  return process_ ? process_->poll() : std::nullopt;
}

bool Node::running() {
  return process_ && process_->running();
}

ExitStatus Node::stop() {
  if (!process_) return {};
  ExitStatus status = process_->stop();
  log_.finish();
  return status;
}

ExitStatus Node::kill() {
  if (!process_) return {};
  ExitStatus status = process_->kill();
  log_.finish();
  return status;
}

pid_t Node::release() {
  keep_run_dir_ = true;
  control_.reset();
  const pid_t pid = process_ ? process_->release() : -1;
  process_.reset();
  return pid;
}

size_t Node::poll_log() {
  return log_.poll();
}

std::optional<int> Node::pid() const {
  if (!process_) return std::nullopt;
  return process_->pid();
}

std::vector<std::string> Node::tail(size_t n) {
  log_.poll();
  return log_.tail(n);
}

std::string Node::qemu_output() const {
  std::ifstream in(run_dir_ / "qemu.out", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > kMaxQemuOutputInReport) {
    text = "..." + text.substr(text.size() - kMaxQemuOutputInReport);
  }
  return text;
}

std::string Node::failure_report(size_t n) {
  std::ostringstream out;
  out << "node " << config_.name << ": run directory " << run_dir_.string() << "\n";
  out << "qemu: " << shell_quote(argv_) << "\n";
  out << "--- last " << n << " lines of " << files_.serial_log.string() << " ---\n";
  for (const std::string& line : tail(n)) out << line << "\n";
  if (control_) {
    out << "--- last " << n << " lines of the control channel ("
        << (run_dir_ / "control.log").string() << ") ---\n";
    for (const std::string& line : control_->transcript_tail(n)) out << line << "\n";
  }
  const std::string qemu = qemu_output();
  if (!qemu.empty()) out << "--- QEMU's own output ---\n" << qemu << "\n";
  return out.str();
}

}  // namespace atoll_os::host
