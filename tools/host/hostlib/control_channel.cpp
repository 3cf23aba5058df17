// ControlChannel: connecting to QEMU's serial socket, framing lines, sorting replies from events.
#include "hostlib/control_channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace atoll_os::host {
namespace {

// QEMU creates the socket while it starts, well before the guest runs.
constexpr auto kConnectRetryInterval = std::chrono::milliseconds(5);
// Lines kept in memory for failure reports.
constexpr size_t kTranscriptMemory = 400;
// Transcript lines longer than this are cut; the file keeps the whole line.
constexpr size_t kTranscriptLineMax = 300;
// How much of a bad line a failure message quotes.
constexpr size_t kQuoteMax = 200;
// Events kept for a caller that does not take them (a counter printing for hours); the
// oldest go first, counted in events_dropped().
constexpr size_t kMaxQueuedEvents = 100000;

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

std::string quote(std::string_view text) {
  if (text.size() <= kQuoteMax) return std::string(text);
  return std::string(text.substr(0, kQuoteMax)) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string millis_text(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

}  // namespace

HostResult<ControlChannel> ControlChannel::connect(const std::filesystem::path& socket,
                                                   std::chrono::milliseconds timeout,
                                                   const std::function<bool()>& peer_alive) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof(address.sun_path)) {
    return fail(Error::kInvalidArgument, "socket path longer than " +
                                             std::to_string(sizeof(address.sun_path) - 1) +
                                             " bytes: " + path);
  }
  memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return fail(Error::kOutOfMemory, std::string("socket: ") + strerror(errno));
    // Non-blocking: a Unix-socket connect completes at once or fails at once.
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
      return ControlChannel(fd);
    }
    const int err = errno;
    close(fd);
    if (err != ENOENT && err != ECONNREFUSED && err != EAGAIN) {
      return fail(Error::kNotFound, "connect to " + path + ": " + strerror(err));
    }
    if (peer_alive && !peer_alive()) {
      return fail(Error::kNotFound, "QEMU exited before it opened " + path);
    }
    if (Clock::now() >= deadline) {
      return fail(Error::kTimedOut,
                  "no control socket at " + path + " within " + millis_text(timeout));
    }
    std::this_thread::sleep_for(kConnectRetryInterval);
  }
}

ControlChannel::ControlChannel(int fd) : fd_(fd), connected_at_(Clock::now()) {}

ControlChannel::ControlChannel(ControlChannel&& other) noexcept
    : fd_(other.fd_),
      closed_(other.closed_),
      connected_at_(other.connected_at_),
      splitter_(std::move(other.splitter_)),
      events_(std::move(other.events_)),
      replies_(std::move(other.replies_)),
      stale_replies_(other.stale_replies_),
      events_dropped_(other.events_dropped_),
      transcript_(std::move(other.transcript_)),
      transcript_file_(std::move(other.transcript_file_)) {
  other.fd_ = -1;
}

ControlChannel& ControlChannel::operator=(ControlChannel&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
    closed_ = other.closed_;
    connected_at_ = other.connected_at_;
    splitter_ = std::move(other.splitter_);
    events_ = std::move(other.events_);
    replies_ = std::move(other.replies_);
    stale_replies_ = other.stale_replies_;
    events_dropped_ = other.events_dropped_;
    transcript_ = std::move(other.transcript_);
    transcript_file_ = std::move(other.transcript_file_);
  }
  return *this;
}

ControlChannel::~ControlChannel() {
  if (fd_ >= 0) close(fd_);
}

void ControlChannel::set_transcript(const std::filesystem::path& file) {
  transcript_file_ = std::make_unique<std::ofstream>(file, std::ios::app);
}

std::vector<std::string> ControlChannel::transcript_tail(size_t n) const {
  const size_t start = transcript_.size() > n ? transcript_.size() - n : 0;
  return {transcript_.begin() + static_cast<std::ptrdiff_t>(start), transcript_.end()};
}

void ControlChannel::record(char direction, std::string_view text) {
  const double seconds = std::chrono::duration<double>(Clock::now() - connected_at_).count();
  char stamp[32];
  snprintf(stamp, sizeof stamp, "[%8.3f] %c ", seconds, direction);
  if (transcript_file_) *transcript_file_ << stamp << text << '\n' << std::flush;
  std::string line = stamp;
  line += text.size() > kTranscriptLineMax ? std::string(text.substr(0, kTranscriptLineMax)) + "..."
                                           : std::string(text);
  transcript_.push_back(std::move(line));
  if (transcript_.size() > kTranscriptMemory) transcript_.pop_front();
}

Failure ControlChannel::closed_failure() const {
  return fail(Error::kNotFound, "the control channel was closed (QEMU exited)");
}

HostResult<void> ControlChannel::send_line(std::string_view line,
                                           std::chrono::milliseconds timeout) {
  if (line.find('\n') != std::string_view::npos) {
    return fail(Error::kInvalidArgument, "a command may not contain a newline");
  }
  if (closed_) return closed_failure();
  record('>', line);
  std::string bytes(line);
  bytes += '\n';
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      closed_ = true;
      return closed_failure();
    }
    // The socket is full: the guest reads slower than we write (a long line at 115200 baud
    // drains in ~1 ms per 100 bytes under TCG).
    if (Clock::now() >= deadline) {
      return fail(Error::kTimedOut, "ctl did not take a " + std::to_string(bytes.size()) +
                                        "-byte line within " + millis_text(timeout));
    }
    pollfd pfd{.fd = fd_, .events = POLLOUT, .revents = 0};
    ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(until(deadline).count(), 100)));
  }
  return {};
}

bool ControlChannel::read_some(std::chrono::milliseconds wait) {
  if (closed_) return false;
  pollfd pfd{.fd = fd_, .events = POLLIN, .revents = 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(wait.count()));
  if (ready <= 0) return true;  // nothing yet (or EINTR: the caller loops)
  // The socket is non-blocking: read everything there is, up to EAGAIN.
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      closed_ = true;
      break;
    }
    splitter_.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
  while (auto line = splitter_.take()) classify(std::move(*line));
  return !closed_;
}

size_t ControlChannel::poll() {
  const size_t before = events_.size() + replies_.size();
  read_some(std::chrono::milliseconds(0));
  return events_.size() + replies_.size() - before;
}

void ControlChannel::classify(SplitLine line) {
  record('<', line.text);
  if (line.overlong) {
    replies_.push_back(fail(Error::kOutOfRange, "ctl sent a line longer than " +
                                                    std::to_string(LineSplitter::kDefaultMaxLine) +
                                                    " bytes: " + quote(line.text)));
    return;
  }
  HostResult<JsonValue> parsed = parse_json(line.text);
  if (!parsed) {
    replies_.push_back(fail(parsed.error(), "ctl sent a line that is not JSON (" +
                                                parsed.failure().message +
                                                "): " + quote(line.text)));
    return;
  }
  if (!parsed->is_object()) {
    replies_.push_back(
        fail(Error::kBadFormat, "ctl sent JSON that is not an object: " + quote(line.text)));
    return;
  }
  if (parsed->find("event") != nullptr) {
    if (events_.size() == kMaxQueuedEvents) {
      events_.pop_front();
      ++events_dropped_;
    }
    events_.push_back(parsed.release_value());
  } else {
    replies_.push_back(parsed.release_value());
  }
}

HostResult<JsonValue> ControlChannel::next_reply(Clock::time_point deadline) {
  for (;;) {
    while (!replies_.empty()) {
      HostResult<JsonValue> reply = std::move(replies_.front());
      replies_.pop_front();
      if (stale_replies_ > 0) {
        --stale_replies_;
        continue;
      }
      return reply;
    }
    if (closed_) return closed_failure();
    if (Clock::now() >= deadline) return fail(Error::kTimedOut, "no reply");
    read_some(std::min(until(deadline), std::chrono::milliseconds(100)));
  }
}

HostResult<JsonValue> ControlChannel::command(std::string_view text,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  HOST_TRY(send_line(text, timeout));
  HostResult<JsonValue> reply = next_reply(deadline);
  if (!reply && reply.error() == Error::kTimedOut) {
    ++stale_replies_;
    return fail(Error::kTimedOut,
                "no reply from ctl to '" + quote(text) + "' within " + millis_text(timeout));
  }
  return reply;
}

HostResult<JsonValue> ControlChannel::command_ok(std::string_view text,
                                                 std::chrono::milliseconds timeout) {
  JsonValue reply = HOST_TRY(command(text, timeout));
  if (reply.bool_at("ok") != true) {
    return fail(Error::kInvalidArgument,
                "ctl refused '" + quote(text) + "': " + quote(reply.to_json()));
  }
  return reply;
}

HostResult<JsonValue> ControlChannel::take_event(const EventFilter& match,
                                                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t checked = 0;  // events before this index did not match
  for (;;) {
    for (; checked < events_.size(); ++checked) {
      if (match && !match(events_[checked])) continue;
      JsonValue event = std::move(events_[checked]);
      events_.erase(events_.begin() + static_cast<std::ptrdiff_t>(checked));
      return event;
    }
    if (closed_) return closed_failure();
    if (Clock::now() >= deadline) {
      return fail(Error::kTimedOut, "no matching event within " + millis_text(timeout) + " (" +
                                        std::to_string(events_.size()) + " others queued)");
    }
    read_some(std::min(until(deadline), std::chrono::milliseconds(100)));
  }
}

HostResult<JsonValue> ControlChannel::next_event(std::chrono::milliseconds timeout) {
  return take_event(nullptr, timeout);
}

HostResult<uint64_t> ControlChannel::wait_ready(std::chrono::milliseconds timeout) {
  JsonValue ready =
      HOST_TRY(take_event([](const JsonValue& e) { return is_event(e, "ready"); }, timeout));
  return ready.uint64_at("node").value_or(0);
}

HostResult<void> ControlChannel::probe_ready(std::chrono::milliseconds timeout,
                                             std::chrono::milliseconds probe_interval) {
  const auto deadline = Clock::now() + timeout;
  poll();
  replies_.clear();
  stale_replies_ = 0;
  bool answered = false;
  while (!answered) {
    if (Clock::now() >= deadline) {
      return fail(Error::kTimedOut, "ctl did not answer 'ps' within " + millis_text(timeout));
    }
    HOST_TRY(send_line("ps", probe_interval));
    const auto probe_deadline = std::min(deadline, Clock::now() + probe_interval);
    while (!answered && Clock::now() < probe_deadline) {
      read_some(std::min(until(probe_deadline), std::chrono::milliseconds(20)));
      if (closed_) return closed_failure();
      for (; !replies_.empty(); replies_.pop_front()) {
        if (replies_.front().ok() && replies_.front()->bool_at("ok") == true) answered = true;
      }
    }
  }
  // Earlier probes that reached ctl whole are answered now; skip those answers.
  for (auto quiet_until = Clock::now() + probe_interval; Clock::now() < quiet_until;) {
    const size_t before = replies_.size();
    read_some(until(quiet_until));
    if (replies_.size() != before) quiet_until = Clock::now() + probe_interval;
    replies_.clear();
    if (closed_) return closed_failure();
  }
  return {};
}

bool is_event(const JsonValue& line, std::string_view kind) {
  const std::string* event = line.string_at("event");
  return event != nullptr && *event == kind;
}

EventFilter output_from(uint64_t pid, std::string text) {
  return [pid, text = std::move(text)](const JsonValue& e) {
    if (!is_event(e, "output") || e.uint64_at("pid") != pid) return false;
    const std::string* line = e.string_at("text");
    return line != nullptr && line->find(text) != std::string::npos;
  };
}

EventFilter exit_of(uint64_t pid) {
  return [pid](const JsonValue& e) { return is_event(e, "exit") && e.uint64_at("pid") == pid; };
}

ReplyVerdict verdict_of(const JsonValue& reply) {
  ReplyVerdict verdict;
  verdict.ok = reply.bool_at("ok") == true;
  if (const std::string* error = reply.string_at("error")) verdict.error = *error;
  if (const std::string* reason = reply.string_at("reason")) verdict.reason = *reason;
  return verdict;
}

}  // namespace atoll_os::host
