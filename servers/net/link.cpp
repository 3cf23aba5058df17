// Frames between the device and lwIP.
#include "link.h"

#include "atoll/user/clock.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::servers::net {
namespace {

constexpr size_t kEthernetHeader = 14;
constexpr size_t kEthernetFrameMin = 60;

uint16_t ethertype_of(std::span<const uint8_t> frame) {
  return static_cast<uint16_t>(frame[12] << 8 | frame[13]);
}

}  // namespace

Result<void> Link::transmit(const pbuf* frame) {
  if (frame->tot_len > kEthernetFrameMax) return Err(Error::kInvalidArgument);
  std::span<uint8_t> buffer = TRY(device_.transmit_buffer());
  pbuf_copy_partial(frame, buffer.data(), frame->tot_len, 0);
  return device_.transmit_filled(frame->tot_len);
}

void Link::free_receive_pbuf(pbuf* p) {
  auto* receive = reinterpret_cast<ReceivePbuf*>(p);
  receive->link->device_.recycle(receive->buffer);
}

void Link::deliver(const ReceivedFrame& frame) {
  if (frame.frame.size() >= kEthernetHeader &&
      ethertype_of(frame.frame) == protocols::net::kRawEthertype) {
    uint64_t now = user::now_ns();
    if (raw_.frames == 0) raw_.first_ns = now;
    raw_.last_ns = now;
    ++raw_.frames;
    raw_.bytes += frame.frame.size();
    device_.recycle(frame.buffer);
    return;
  }
  // Below a quarter of the ring left with the device, lwIP gets a copy instead, so that
  // data lwIP holds on to (out-of-order segments) cannot starve the receive queue.
  if (device_.receive_posted() < device_.queue_size() / 4) {
    interface_.receive_copy(frame.frame);
    device_.recycle(frame.buffer);
    return;
  }
  ReceivePbuf& receive = receive_pbufs_[frame.buffer];
  receive.link = this;
  receive.buffer = frame.buffer;
  receive.custom.custom_free_function = free_receive_pbuf;
  pbuf* p = pbuf_alloced_custom(PBUF_RAW, static_cast<u16_t>(frame.frame.size()), PBUF_REF,
                                &receive.custom, frame.frame.data(),
                                static_cast<u16_t>(kVirtioBufferBytes - kVirtioNetHeaderBytes));
  if (p == nullptr) {
    device_.recycle(frame.buffer);
    return;
  }
  interface_.receive(p);  // lwIP frees it, and free_receive_pbuf recycles the buffer
}

void Link::drain_receive() {
  do {
    for (;;) {
      Result<std::optional<ReceivedFrame>> frame = device_.receive();
      if (!frame.ok() || !frame->has_value()) break;
      deliver(**frame);
    }
    device_.publish_receive();
  } while (device_.enable_receive_interrupts());
}

// A transmit buffer, waiting while every buffer is in flight (the device catches up).
uint8_t* Link::next_transmit_buffer() {
  for (;;) {
    Result<std::span<uint8_t>> buffer = device_.transmit_buffer();
    if (buffer.ok()) return buffer->data();
    (void)user::yield();
  }
}

Result<protocols::net::RawSendReply> Link::raw_send(const protocols::net::RawSendRequest& request) {
  if (request.length < kEthernetFrameMin || request.length > kEthernetFrameMax) {
    return Err(Error::kInvalidArgument);
  }
  uint64_t start = user::now_ns();
  for (uint32_t i = 0; i < request.count; ++i) {
    uint8_t* frame = next_transmit_buffer();
    __builtin_memcpy(frame, request.mac, 6);
    __builtin_memcpy(frame + 6, device_.mac(), 6);
    frame[12] = protocols::net::kRawEthertype >> 8;
    frame[13] = protocols::net::kRawEthertype & 0xff;
    __builtin_memcpy(frame + kEthernetHeader, &i, sizeof(i));  // a sequence number
    TRY(device_.transmit_filled(request.length));
  }
  return protocols::net::RawSendReply{request.count, user::now_ns() - start};
}

}  // namespace atoll_os::servers::net
