// ControlChannel: the host's end of a node's ctl server, a line protocol on the second
// serial port (COM2), which QEMU exposes as a Unix socket in the node's run directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hostlib/host_result.h"
#include "hostlib/json.h"
#include "hostlib/line_splitter.h"

namespace atoll_os::host {

/// A reply's answer, as ctl gives it: ok, or the error's name and the reason.
struct ReplyVerdict {
  bool ok = false;
  std::string error;
  std::string reason;
};
/// The verdict of one reply line.
ReplyVerdict verdict_of(const JsonValue& reply);

/// Chooses events in take_event().
using EventFilter = std::function<bool(const JsonValue&)>;

/// The protocol, as ctl speaks it: the host sends one command per line; ctl answers every
/// line with exactly one JSON object on one line ({"ok":true,...} or {"ok":false,
/// "reason":...}), in order. Lines that are objects with an "event" member ({"event":
/// "output","pid":N,"text":...}, {"event":"exit",...}) come whenever something happens and
/// are queued apart from the replies.
///
/// Nothing runs in the background: bytes are read while a call waits (or in poll()); in
/// between, the socket buffers them and QEMU holds back the guest's UART when it is full.
/// Movable, not copyable; closes the socket when destroyed.
class ControlChannel {
 public:
  /// Connects to the socket QEMU serves, retrying until QEMU has created it. Gives up with
  /// kTimedOut after `timeout`, or with kNotFound as soon as `peer_alive` (if given) says
  /// QEMU is gone.
  static HostResult<ControlChannel> connect(const std::filesystem::path& socket,
                                            std::chrono::milliseconds timeout,
                                            const std::function<bool()>& peer_alive = {});

  ControlChannel(ControlChannel&& other) noexcept;
  ControlChannel& operator=(ControlChannel&& other) noexcept;
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;
  ~ControlChannel();

  /// Also appends every line sent ("> ") and received ("< ") to `file`, stamped with
  /// seconds since connect().
  void set_transcript(const std::filesystem::path& file);
  /// The last `n` transcript lines (kept in memory even without a file), for reports.
  std::vector<std::string> transcript_tail(size_t n) const;

  /// Sends `line` and a newline. kInvalidArgument if `line` holds a newline (it would be
  /// two commands); kNotFound if ctl's side has closed.
  HostResult<void> send_line(std::string_view line, std::chrono::milliseconds timeout);

  /// Sends one command and returns ctl's reply, whatever its "ok" says. kTimedOut if no
  /// reply comes within `timeout` (its late reply is then skipped when it comes); kBadFormat
  /// if the reply line is not a JSON object, with the line in the message.
  HostResult<JsonValue> command(std::string_view text, std::chrono::milliseconds timeout);
  /// Like command(), but a reply whose "ok" is not true is a kInvalidArgument failure that
  /// quotes the reply (its "reason" included).
  HostResult<JsonValue> command_ok(std::string_view text, std::chrono::milliseconds timeout);

  /// The oldest queued event, waiting up to `timeout` for one; kTimedOut if none came.
  HostResult<JsonValue> next_event(std::chrono::milliseconds timeout);
  /// The oldest queued event that `match` accepts, waiting for one up to `timeout`; the
  /// events it passes over stay queued, in order.
  HostResult<JsonValue> take_event(const EventFilter& match, std::chrono::milliseconds timeout);
  /// Events received and not yet taken, oldest first.
  const std::deque<JsonValue>& events() const { return events_; }
  /// Forgets every queued event.
  void clear_events() { events_.clear(); }
  /// Events lost because the queue was full (the oldest go first); 0 unless a caller left
  /// about 100,000 events untaken.
  uint64_t events_dropped() const { return events_dropped_; }

  /// Reads what has arrived without blocking; returns how many lines it completed.
  size_t poll();

  /// Waits for ctl's {"event":"ready","node":N} (sent once, when it starts listening) and
  /// returns N. Only a channel connected before ctl started sees it: Node connects right
  /// after launching QEMU, before the guest runs.
  HostResult<uint64_t> wait_ready(std::chrono::milliseconds timeout);

  /// For a channel connected late: sends `ps` every `probe_interval` until a reply with "ok"
  /// true comes, then skips the replies to earlier probes until no line has come for one
  /// more `probe_interval`. Before ctl sets up its UART a probe may be cut in half, so
  /// replies that are not ok are skipped too. Events that arrive meanwhile stay queued.
  HostResult<void> probe_ready(
      std::chrono::milliseconds timeout,
      std::chrono::milliseconds probe_interval = std::chrono::milliseconds(200));

  /// False once ctl's side closed the socket (QEMU exited).
  bool open() const { return !closed_; }

 private:
  using Clock = std::chrono::steady_clock;

  explicit ControlChannel(int fd);
  /// Reads once, waiting up to `wait` for data; false if the socket is closed.
  bool read_some(std::chrono::milliseconds wait);
  void classify(SplitLine line);
  void record(char direction, std::string_view text);
  /// The next reply, skipping those owed to commands that timed out.
  HostResult<JsonValue> next_reply(Clock::time_point deadline);
  Failure closed_failure() const;

  int fd_ = -1;
  bool closed_ = false;
  Clock::time_point connected_at_;
  LineSplitter splitter_;
  std::deque<JsonValue> events_;
  std::deque<HostResult<JsonValue>> replies_;
  // Replies still owed to commands that timed out; the next this many replies are theirs.
  size_t stale_replies_ = 0;
  uint64_t events_dropped_ = 0;
  std::deque<std::string> transcript_;
  std::unique_ptr<std::ofstream> transcript_file_;
};

/// True for an {"event":"<kind>", ...} object.
bool is_event(const JsonValue& line, std::string_view kind);

/// Matches {"event":"output","pid":PID,...} whose "text" contains `text`.
EventFilter output_from(uint64_t pid, std::string text = "");
/// Matches {"event":"exit","pid":PID,...}.
EventFilter exit_of(uint64_t pid);

}  // namespace atoll_os::host
