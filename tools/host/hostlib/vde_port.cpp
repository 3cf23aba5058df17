// VdePort: frames to and from a vde_plug child, framed by libvdeplug's vdestream.
#include "hostlib/vde_port.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <thread>

#include "hostlib/process.h"
#include "hostlib/vde_switch.h"

// libvdeplug's header declares C functions without saying so.
extern "C" {
#include <libvdeplug.h>
}

namespace atoll_os::host {

static_assert(kVdeMaxFrame == VDE_ETHBUFSIZE, "kVdeMaxFrame mirrors libvdeplug's buffer size");

namespace {

using Clock = std::chrono::steady_clock;

// vde_plug connects within milliseconds; this only catches a hang.
constexpr auto kPlugTimeout = std::chrono::seconds(10);
constexpr auto kPlugPollInterval = std::chrono::milliseconds(5);

// Frames vdestream has decoded and receive() has not yet returned.
using Inbox = std::deque<std::vector<uint8_t>>;

ssize_t take_frame(void* opaque, void* buf, size_t count) {
  const auto* bytes = static_cast<const uint8_t*>(buf);
  static_cast<Inbox*>(opaque)->emplace_back(bytes, bytes + count);
  return static_cast<ssize_t>(count);
}

// vdestream reports a length header it cannot accept here and skips the bytes; vde_plug
// writes its stream with vdestream too, so only a broken plug would cause it.
void ignore_stream_error(void*, int, char*, ...) {}

// Waits until the switch's port list shows a connection from `plug`.
HostResult<void> wait_plugged(const std::filesystem::path& switch_dir, Process& plug) {
  const auto deadline = Clock::now() + kPlugTimeout;
  const std::string mark = "pid=" + std::to_string(plug.pid()) + "\n";
  for (;;) {
    if (!plug.running()) {
      return fail(Error::kNotFound, "vde_plug could not plug into " + switch_dir.string());
    }
    auto ports = vde_management_command(switch_dir / "mgmt", "port/print", kPlugTimeout);
    if (!ports) return ports.failure();
    if (ports->find(mark) != std::string::npos) return {};
    if (Clock::now() >= deadline) {
      return fail(Error::kTimedOut,
                  "the switch at " + switch_dir.string() + " did not list vde_plug's port");
    }
    std::this_thread::sleep_for(kPlugPollInterval);
  }
}

}  // namespace

// Heap-allocated, so that moving a VdePort leaves the inbox where the stream points.
struct VdePort::Connection {
  Process plug;
  int fd;
  Inbox inbox;
  VDESTREAM* stream = nullptr;

  Connection(Process p, int f) : plug(std::move(p)), fd(f) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (stream != nullptr) vdestream_close(stream);
    close(fd);  // vde_plug reads end-of-file and unplugs; the Process reaps it
  }
};

HostResult<VdePort> VdePort::open(const std::filesystem::path& switch_dir,
                                  const std::string& description) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return fail(Error::kOutOfMemory, std::string("socketpair: ") + strerror(errno));
  }
  const std::string url = "vde://" + (switch_dir / "switch").string();
  auto plug = Process::spawn({"vde_plug", "--descr", description, url},
                             {.stdin_fd = pair[1], .stdout_fd = pair[1]});
  close(pair[1]);
  if (!plug) {
    close(pair[0]);
    return fail(plug.error(), plug.failure().message + " (tools/atoll setup installs vdeplug)");
  }
  auto connection = std::make_unique<Connection>(plug.release_value(), pair[0]);
  HOST_TRY(wait_plugged(switch_dir, connection->plug));
  connection->stream = vdestream_open(&connection->inbox, pair[0], take_frame, ignore_stream_error);
  if (connection->stream == nullptr) {
    return fail(Error::kOutOfMemory, std::string("vdestream_open: ") + strerror(errno));
  }
  return VdePort(std::move(connection));
}

VdePort::VdePort(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}
VdePort::VdePort(VdePort&&) noexcept = default;
VdePort& VdePort::operator=(VdePort&&) noexcept = default;
VdePort::~VdePort() = default;

HostResult<void> VdePort::send(std::span<const uint8_t> frame) {
  if (frame.empty() || frame.size() > kVdeMaxFrame) {
    return fail(Error::kOutOfRange, "a VDE stream carries frames of 1 to " +
                                        std::to_string(kVdeMaxFrame) + " bytes, not " +
                                        std::to_string(frame.size()));
  }
  if (vdestream_send(connection_->stream, frame.data(), frame.size()) < 0) {
    return fail(Error::kNotFound, std::string("vde_plug is gone: ") + strerror(errno));
  }
  return {};
}

HostResult<std::vector<uint8_t>> VdePort::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Inbox& inbox = connection_->inbox;
  while (inbox.empty()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd{.fd = connection_->fd, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return fail(Error::kNotFound, std::string("poll: ") + strerror(errno));
    if (ready == 0) {
      return fail(Error::kTimedOut, "no frame within " + std::to_string(timeout.count()) + " ms");
    }
    unsigned char buf[4 * kVdeMaxFrame];
    const ssize_t n = read(connection_->fd, buf, sizeof buf);
    if (n <= 0) return fail(Error::kNotFound, "vde_plug is gone");
    vdestream_recv(connection_->stream, buf, static_cast<size_t>(n));
  }
  std::vector<uint8_t> frame = std::move(inbox.front());
  inbox.pop_front();
  return frame;
}

}  // namespace atoll_os::host
