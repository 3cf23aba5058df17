// The in-memory wire between two EthernetInterfaces of the host unit tests.
#include "net_test_wire.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "lwip/pbuf.h"
#include "net/lwip_port/fake_clock.h"

namespace atoll_os::servers::net {

Result<void> FrameQueue::transmit(const pbuf* frame) {
  if (frames.size() >= capacity) return Err(Error::kOutOfMemory);
  Frame copy(frame->tot_len);
  pbuf_copy_partial(frame, copy.data(), frame->tot_len, 0);
  frames.push_back(std::move(copy));
  return success();
}

NetConfig TestWire::config_a() {
  return {.node = 1, .ip = {10, 77, 0, 2}, .prefix_length = 24, .mac = {0x52, 0x54, 0, 0x77, 0, 1}};
}

NetConfig TestWire::config_b() {
  return {.node = 2, .ip = {10, 77, 0, 3}, .prefix_length = 24, .mac = {0x52, 0x54, 0, 0x77, 0, 2}};
}

TestWire::TestWire() {
  EXPECT_TRUE(a.init(config_a(), a_to_b).ok());
  EXPECT_TRUE(b.init(config_b(), b_to_a).ok());
}

size_t TestWire::pump() {
  size_t delivered = 0;
  while (!a_to_b.frames.empty() || !b_to_a.frames.empty()) {
    for (auto [queue, receiver] : {std::pair{&a_to_b, &b}, std::pair{&b_to_a, &a}}) {
      if (queue->frames.empty()) continue;
      Frame frame = std::move(queue->frames.front());
      queue->frames.pop_front();
      ++frames_carried;
      if (drop_every != 0 && frames_carried % drop_every == 0) {
        ++frames_dropped;
        continue;
      }
      receiver->receive_copy(frame);
      ++delivered;
    }
  }
  return delivered;
}

bool TestWire::run_until(const std::function<bool()>& done, uint32_t max_ms) {
  const uint32_t start = lwip_port::fake_now_ms();
  while (!done()) {
    pump();
    if (done()) break;
    if (lwip_port::fake_now_ms() - start >= max_ms) return false;
    uint64_t delay_ms = next_timer_delay_ns() / 1'000'000;
    lwip_port::advance_fake_clock_ms(uint32_t(std::clamp<uint64_t>(delay_ms, 1, 250)));
    poll_timers();
  }
  return true;
}

const ip4_addr_t* address_of(EthernetInterface& interface) {
  return netif_ip4_addr(&interface.lwip_netif());
}

}  // namespace atoll_os::servers::net
