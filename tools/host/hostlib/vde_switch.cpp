// VdeSwitch: launching vde_switch in the foreground and waiting for its control socket.
#include "hostlib/vde_switch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "hostlib/socket_path.h"

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;

// The switch creates its control socket within milliseconds; this only catches a hang.
constexpr auto kListenTimeout = std::chrono::seconds(10);
constexpr auto kListenPollInterval = std::chrono::milliseconds(5);

// The longest socket path below the switch's directory: "/switch/" and a port's data
// socket, named after a pid and a counter (at most "PPPPPPP-NNNNN").
constexpr size_t kSocketTailLength = 21;

// vde_switch reads console commands from stdin and exits at end-of-file. A FIFO opened for
// both reading and writing (Linux, fifo(7)) never reaches end-of-file, so the switch runs
// until signalled, whether or not the process that started it lives on.
HostResult<int> open_console(const std::filesystem::path& fifo) {
  std::error_code ec;
  std::filesystem::remove(fifo, ec);
  if (mkfifo(fifo.c_str(), 0600) != 0) {
    return fail(Error::kAccessDenied, "mkfifo " + fifo.string() + ": " + strerror(errno));
  }
  const int fd = open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail(Error::kAccessDenied, "open " + fifo.string() + ": " + strerror(errno));
  return fd;
}

// The line that ends every management reply: "1000 Success", or an error's code and reason.
struct ResultLine {
  size_t end;        // just past its newline
  std::string code;  // "1000" for success
};

std::optional<ResultLine> find_result_line(const std::string& text) {
  for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1) {
    const std::string_view line(text.data() + start, end - start);
    const bool is_result = line.size() >= 5 && line[0] == '1' && isdigit(line[1]) &&
                           isdigit(line[2]) && isdigit(line[3]) && line[4] == ' ';
    if (is_result) return ResultLine{end + 1, std::string(line.substr(0, 4))};
  }
  return std::nullopt;
}

HostResult<int> connect_unix(const std::filesystem::path& socket) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket.string().size() >= sizeof address.sun_path) {
    return fail(Error::kInvalidArgument, "socket path too long: " + socket.string());
  }
  memcpy(address.sun_path, socket.c_str(), socket.string().size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(Error::kOutOfMemory, std::string("socket: ") + strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int err = errno;
    close(fd);
    return fail(Error::kNotFound, "connect to " + socket.string() + ": " + strerror(err));
  }
  return fd;
}

// Reads from `fd` into `text` until `done` says so; false on timeout or end of stream.
template <typename Done>
bool read_until(int fd, std::string& text, Clock::time_point deadline, Done done) {
  while (!done(text)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd{.fd = fd, .events = POLLIN, .revents = 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    text.append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::string file_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

HostResult<std::unique_ptr<VdeSwitch>> VdeSwitch::create(const std::filesystem::path& dir) {
  static std::atomic<unsigned> next{0};
  const bool too_deep = dir.string().size() + kSocketTailLength > kMaxSocketPath;
  // vde_switch resolves symlinks in its socket paths, so a short symlink to a deep directory
  // would not do: the switch gets a directory of its own under the temporary directory.
  const std::filesystem::path used =
      too_deep ? std::filesystem::temp_directory_path() /
                     ("atoll-switch-" + std::to_string(getpid()) + "-" + std::to_string(next++))
               : dir;
  std::error_code ec;
  std::filesystem::create_directories(used, ec);
  if (ec) return fail(Error::kAccessDenied, "cannot create " + used.string() + ": " + ec.message());
  return std::unique_ptr<VdeSwitch>(new VdeSwitch(used, too_deep));
}

HostResult<void> VdeSwitch::start(bool detachable) {
  if (process_)
    return fail(Error::kBusy, "the switch in " + dir_.string() + " was already started");
  const int console = HOST_TRY(open_console(dir_ / "console"));
  const int log_fd = open(log().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  auto spawned = Process::spawn(
      {"vde_switch", "--sock", socket_dir().string(), "--mgmt", management_socket().string()},
      {.stdin_fd = console, .stdout_fd = log_fd, .stderr_fd = log_fd, .new_session = detachable});
  close(console);
  if (log_fd >= 0) close(log_fd);
  if (!spawned) {
    return fail(spawned.error(), spawned.failure().message + " (tools/atoll setup installs vde2)");
  }
  process_.emplace(spawned.release_value());
  return wait_listening();
}

VdeSwitch::~VdeSwitch() {
  stop();
  std::error_code ec;
  if (temporary_) std::filesystem::remove_all(dir_, ec);
}

HostResult<void> VdeSwitch::wait_listening() {
  const auto deadline = Clock::now() + kListenTimeout;
  const std::filesystem::path ctl = socket_dir() / "ctl";
  std::error_code ec;
  while (!std::filesystem::is_socket(ctl, ec)) {
    if (!running()) {
      return fail(Error::kNotFound, "vde_switch ended at start: " + file_text(log()));
    }
    if (Clock::now() >= deadline) {
      stop();
      return fail(Error::kTimedOut, "vde_switch made no " + ctl.string() + " within " +
                                        std::to_string(kListenTimeout.count()) + " s");
    }
    std::this_thread::sleep_for(kListenPollInterval);
  }
  return {};
}

std::optional<pid_t> VdeSwitch::pid() const {
  if (!process_) return std::nullopt;
  return process_->pid();
}

void VdeSwitch::stop() {
  if (process_) process_->stop();
}

pid_t VdeSwitch::release() {
  const pid_t pid = process_ ? process_->release() : -1;
  process_.reset();
  temporary_ = false;
  return pid;
}

HostResult<std::string> vde_management_command(const std::filesystem::path& socket,
                                               std::string_view command,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const int fd = HOST_TRY(connect_unix(socket));
  // The switch greets with a banner that ends in its prompt.
  std::string text;
  bool ok = read_until(fd, text, deadline,
                       [](const std::string& t) { return t.find("vde$ ") != std::string::npos; });
  const std::string line = std::string(command) + "\n";
  ok = ok && write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  text.clear();
  ok = ok && read_until(fd, text, deadline,
                        [](const std::string& t) { return find_result_line(t).has_value(); });
  close(fd);
  if (!ok) {
    return fail(Error::kTimedOut,
                "no answer to '" + std::string(command) + "' on " + socket.string());
  }
  const ResultLine result = *find_result_line(text);
  if (result.code != "1000") {
    return fail(Error::kInvalidArgument,
                "vde_switch refused '" + std::string(command) + "': " + text);
  }
  return text.substr(0, result.end);
}

}  // namespace atoll_os::host
