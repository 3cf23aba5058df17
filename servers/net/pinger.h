// ICMP echo from the net server: one ping at a time, answered through a notification so the
// asking thread can wait without holding the server's lock.
#pragma once

#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

struct raw_pcb;
struct pbuf;
struct ip4_addr;
typedef struct ip4_addr ip_addr_t;

namespace atoll_os::servers::net {

class Pinger {
 public:
  /// The raw ICMP control block and the notification an answer signals.
  Result<void> init();
  /// Sends an echo request to `ip` (network byte order); kBusy while another ping waits.
  /// Call with the server's lock held.
  Result<void> send(uint32_t ip);
  /// Waits (without the lock) until the answer or `timeout_ns`; true if it came.
  bool wait(uint64_t timeout_ns);
  /// Ends the ping (with the lock held): the round trip in ns, or kTimedOut.
  Result<uint64_t> finish();

  /// lwIP's raw receive callback; `address` is an ip_addr_t.
  static uint8_t on_raw_entry(void* arg, raw_pcb* pcb, pbuf* p, const ip_addr_t* address);

 private:
  bool matches(pbuf* p) const;

  raw_pcb* pcb_ = nullptr;
  abi::Handle answered_ = abi::kNoHandle;
  bool waiting_ = false;
  uint16_t sequence_ = 0;
  uint64_t sent_ns_ = 0;
  uint64_t answered_ns_ = 0;
};

}  // namespace atoll_os::servers::net
