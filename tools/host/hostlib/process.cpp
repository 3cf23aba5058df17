// Process: fork/exec with exec errors reported back, reaping, timed waits and stopping.
#include "hostlib/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;

// Short enough that a waiter notices an exit promptly, long enough to cost no real CPU.
constexpr auto kReapPollInterval = std::chrono::milliseconds(2);

// Makes `fd` the child's stream `target`, without the close-on-exec flag the parent may
// have set on it. Runs between fork and exec, so only async-signal-safe calls.
void redirect(int fd, int target) {
  if (fd < 0) return;
  if (fd == target) {
    fcntl(fd, F_SETFD, 0);
  } else {
    dup2(fd, target);
  }
}

[[noreturn]] void exec_child(char* const* args, const SpawnOptions& options, pid_t parent,
                             int report_fd) {
  if (options.new_session) {
    setsid();
  } else {
    if (options.own_process_group) setpgid(0, 0);
    // A host tool killed without running destructors (SIGKILL, a crash) must not leave QEMU
    // running. The getppid check closes the race with a parent that died before prctl.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
  }
  redirect(options.stdin_fd, STDIN_FILENO);
  redirect(options.stdout_fd, STDOUT_FILENO);
  redirect(options.stderr_fd, STDERR_FILENO);
  // Ignored signals and the blocked mask survive exec; the parent may be ignoring SIGINT
  // while gdb runs, and the child should start as any program does.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGINT, &dfl, nullptr);
  sigaction(SIGQUIT, &dfl, nullptr);
  sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execvp(args[0], args);
  int err = errno;
  (void)!write(report_fd, &err, sizeof err);
  _exit(127);
}

}  // namespace

ExitStatus ExitStatus::from_wait_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

std::string ExitStatus::describe() const {
  if (exited) return "exit status " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

HostResult<Process> Process::spawn(const std::vector<std::string>& argv,
                                   const SpawnOptions& options) {
  if (argv.empty()) return fail(Error::kInvalidArgument, "empty command");
  // Built before fork: the child may only make async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  // The child writes errno here if exec fails; close-on-exec makes a successful exec read
  // as end-of-file, so the parent learns which one happened without guessing.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    return fail(Error::kOutOfMemory, std::string("pipe: ") + strerror(errno));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(report[0]);
    close(report[1]);
    return fail(Error::kOutOfMemory, std::string("fork: ") + strerror(err));
  }
  if (pid == 0) exec_child(args.data(), options, parent, report[1]);

  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n > 0) {
    waitpid(pid, nullptr, 0);
    return fail(Error::kNotFound, "cannot execute '" + argv[0] + "': " + strerror(child_errno));
  }
  return Process(pid);
}

Process::Process(Process&& other) noexcept : pid_(other.pid_), status_(other.status_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = other.pid_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() {
  kill_and_reap();
}

std::optional<ExitStatus> Process::poll() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = ExitStatus::from_wait_status(status);
  return status_;
}

HostResult<ExitStatus> Process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return fail(Error::kBadHandle, "no process");
  const auto deadline = Clock::now() + timeout;
  while (!poll()) {
    if (Clock::now() >= deadline) {
      return fail(Error::kTimedOut, "process " + std::to_string(pid_) + " still running after " +
                                        std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(kReapPollInterval);
  }
  return *status_;
}

ExitStatus Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return {};
  if (poll()) return *status_;
  ::kill(pid_, SIGTERM);
  if (auto ended = wait(grace); ended.ok()) return *ended;
  kill_and_reap();
  return status_.value_or(ExitStatus{});
}

ExitStatus Process::kill() {
  kill_and_reap();
  return status_.value_or(ExitStatus{});
}

pid_t Process::release() {
  const pid_t pid = pid_;
  pid_ = -1;
  return pid;
}

void Process::kill_and_reap() {
  if (pid_ <= 0 || poll()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) status_ = ExitStatus::from_wait_status(status);
}

HostResult<CommandOutput> run_command(const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return fail(Error::kOutOfMemory, std::string("pipe: ") + strerror(errno));
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto spawned =
      Process::spawn(argv, {.stdin_fd = null_fd, .stdout_fd = out[1], .stderr_fd = out[1]});
  close(out[1]);
  if (null_fd >= 0) close(null_fd);
  if (!spawned) {
    close(out[0]);
    return spawned.failure();
  }
  Process child = spawned.release_value();

  // Drain the pipe until the child closes it, so a chatty child never blocks on a full pipe.
  const auto deadline = Clock::now() + timeout;
  std::string output;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{.fd = out[0], .events = POLLIN, .revents = 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  auto status = child.wait(std::max(left, std::chrono::milliseconds(0)));
  if (!status) {
    return fail(Error::kTimedOut, "'" + shell_quote(argv) + "' did not finish within " +
                                      std::to_string(timeout.count()) + " ms");
  }
  return CommandOutput{*status, std::move(output)};
}

HostResult<void> run_checked(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout) {
  CommandOutput result = HOST_TRY(run_command(argv, timeout));
  if (!result.status.exited || result.status.code != 0) {
    return fail(Error::kInvalidArgument, "'" + shell_quote(argv) + "' failed (" +
                                             result.status.describe() + "): " + result.output);
  }
  return {};
}

std::string shell_quote(const std::vector<std::string>& argv) {
  static constexpr std::string_view kPlain =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%";
  std::string line;
  for (const std::string& arg : argv) {
    if (!line.empty()) line += ' ';
    if (!arg.empty() && arg.find_first_not_of(kPlain) == std::string::npos) {
      line += arg;
      continue;
    }
    line += '\'';
    for (char c : arg) line += (c == '\'') ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

}  // namespace atoll_os::host
