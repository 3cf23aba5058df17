// Slice connections over net's TCP streams.
#include "slice_channel.h"

#include "atoll/user/clock.h"
#include "atoll/user/print.h"
#include "atoll/user/thread.h"

namespace atoll_os::servers::migration {
namespace {

constexpr uint64_t kNetRetryMs = 200;
constexpr uint64_t kRefusedRetryMs = 100;
constexpr size_t kReceiverStack = 64 * 1024;

net::Client g_net;
bool g_net_found = false;

struct Receiver {
  uint16_t port;
  SliceHandler handle;
  void* context;
};

// Finds net, waiting for it: the servers that receive slices may start before it.
net::Client find_net_patiently() {
  for (;;) {
    Result<net::Client> found = net::find_net_server();
    if (found.ok()) return *found;
    (void)user::sleep_ms(kNetRetryMs);
  }
}

void receiver_thread(void* argument) {
  Receiver receiver = *static_cast<Receiver*>(argument);
  delete static_cast<Receiver*>(argument);
  net::Client net = find_net_patiently();
  Result<net::Listener> listener = net::Listener::listen(net, receiver.port, 4);
  if (!listener.ok()) {
    user::print("slices: cannot listen on TCP port %u: %s\n", receiver.port,
                error_name(listener.error()));
    return;
  }
  for (;;) {
    Result<net::Stream*> stream = listener->accept(abi::kForever);
    if (!stream.ok()) continue;
    SliceChannel channel(*stream);
    receiver.handle(channel, receiver.context);
    channel.close();
  }
}

}  // namespace

Result<net::Client*> slice_net() {
  if (!g_net_found) {
    g_net = TRY(net::find_net_server());
    g_net_found = true;
  }
  return &g_net;
}

// A refused connection is tried again for a while: the receiver may still be starting (it
// listens once it has found net, a moment after its node reports ready).
Result<SliceChannel> SliceChannel::connect(net::Client& net, uint32_t ip, uint16_t port) {
  const uint64_t give_up = user::now_ns() + kSliceIdleTimeoutNs;
  for (;;) {
    net::Stream* stream = TRY(net::Stream::connect(net, ip, port));
    Result<void> connected = stream->wait_connected(kSliceIdleTimeoutNs);
    if (connected.ok()) return SliceChannel(stream);
    (void)stream->close(0);
    if (connected.error() != Error::kNotFound || user::now_ns() > give_up) {
      return Err(connected.error());
    }
    (void)user::sleep_ms(kRefusedRetryMs);
  }
}

Result<void> SliceChannel::write(const void* data, size_t length) {
  return stream_->write(data, length, kSliceIdleTimeoutNs);
}

Result<void> SliceChannel::read_exact(void* out, size_t length) {
  auto* bytes = static_cast<uint8_t*>(out);
  size_t got = 0;
  while (got < length) {
    size_t n = TRY(stream_->read(bytes + got, length - got, kSliceIdleTimeoutNs));
    if (n == 0) return Err(Error::kTruncated);
    got += n;
  }
  return success();
}

Result<void> SliceChannel::write_small_slice(SliceKind kind, uint64_t migration_id, uint64_t pid,
                                             const void* body, size_t length) {
  static uint8_t buffer[sizeof(SliceHeader) + kSmallSliceMax];  // callers send one at a time
  if (length > kSmallSliceMax) return Err(Error::kOutOfRange);
  SliceHeader header = slice_header(kind, migration_id, pid, length);
  __builtin_memcpy(buffer, &header, sizeof(header));
  __builtin_memcpy(buffer + sizeof(header), body, length);
  return write(buffer, sizeof(header) + length);
}

Result<SliceHeader> SliceChannel::read_header(SliceKind expected) {
  SliceHeader header{};
  TRY(read_exact(&header, sizeof(header)));
  if (header.magic != kSliceMagic || header.version != kSliceVersion || header.kind != expected) {
    return Err(Error::kBadFormat);
  }
  return header;
}

Result<void> SliceChannel::write_ack(Error error, uint64_t pages, const char* reason) {
  SliceAck ack{};
  ack.error = static_cast<int32_t>(error);
  ack.pages = pages;
  size_t n = 0;
  while (reason != nullptr && reason[n] != '\0' && n + 1 < sizeof(ack.reason)) {
    ack.reason[n] = reason[n];
    ++n;
  }
  return write(&ack, sizeof(ack));
}

Result<SliceAck> SliceChannel::read_ack() {
  SliceAck ack{};
  TRY(read_exact(&ack, sizeof(ack)));
  ack.reason[sizeof(ack.reason) - 1] = '\0';
  return ack;
}

void SliceChannel::close() {
  if (stream_ != nullptr) (void)stream_->close(kSliceIdleTimeoutNs);
  stream_ = nullptr;
}

Result<void> start_slice_receiver(uint16_t port, SliceHandler handle, void* context,
                                  uint32_t priority) {
  auto* receiver = new Receiver{port, handle, context};
  Result<void> spawned =
      user::spawn_thread(receiver_thread, receiver, kReceiverStack, priority).ok()
          ? success()
          : Result<void>(Err(Error::kOutOfMemory));
  if (!spawned.ok()) delete receiver;
  return spawned;
}

}  // namespace atoll_os::servers::migration
