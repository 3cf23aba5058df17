// ctl's state shared by its two threads: the console thread (process output) and the
// command thread (the serial line from the host, and pm's process events).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/protocols/balancer.h"
#include "atoll/protocols/migm.h"
#include "atoll/protocols/pm.h"
#include "atoll/protocols/trader.h"
#include "atoll/user/lock.h"
#include "line_assembler.h"
#include "output_lines.h"
#include "uart.h"

namespace atoll_os::servers::ctl {

/// Notification bits of the command thread: the UART's IRQ, and pm's kEventBit.
inline constexpr uint64_t kSerialBit = 1;
static_assert((kSerialBit & protocols::pm::kEventBit) == 0);

inline constexpr size_t kMaxListed = 256;
inline constexpr size_t kMaxNodesListed = 64;

struct Control {
  Control();

  // Guarded by output_lock: whole JSON lines leave one at a time.
  user::YieldingLock output_lock;
  Uart uart{kCom2Base};
  bool has_uart = false;
  OutputLines lines;
  char event_buffer[4096];

  // The command thread's own.
  LineAssembler assembler;
  char reply_buffer[32 * 1024];
  protocols::pm::ProcessEntry entries[kMaxListed];
  protocols::pm::Client pm;
  protocols::migm::Client migm;          // looked up at the first migrate
  protocols::trader::Client trader;      // looked up at the first trader command
  protocols::balancer::Client balancer;  // looked up at the first balancer command
  protocols::trader::NodeOffer nodes[kMaxNodesListed];
  abi::Handle irq = abi::kNoHandle;
  abi::Handle notification = abi::kNoHandle;
  uint64_t node = 0;
};

/// Writes one JSON line to the host (the kernel log if there is no UART). Caller holds
/// output_lock.
void emit_locked(Control& control, std::string_view json);
/// Takes output_lock and emits.
void emit(Control& control, std::string_view json);

/// The command thread's body: never returns while ctl runs.
void command_thread(void* control);

}  // namespace atoll_os::servers::ctl
