// A 16550 UART driven through I/O ports: the host's control channel on COM2.
#pragma once

#include <stdint.h>

#include <string_view>

namespace atoll_os::servers::ctl {

inline constexpr uint16_t kCom2Base = 0x2f8;
inline constexpr uint32_t kCom2Irq = 3;

/// Needs the task's I/O port access (ioport_enable) before any call.
class Uart {
 public:
  explicit Uart(uint16_t base) : base_(base) {}

  /// True if a UART answers at the base: its scratch register keeps what is written. A
  /// missing one reads as 0xff everywhere, which would look like endless input.
  bool present() const;
  /// 115200 baud 8N1, FIFOs on, interrupt on received data (OUT2 routes it to the PIC).
  void configure() const;
  /// One received byte, if any.
  bool read(char* c) const;
  /// Sends every byte, waiting for room in the transmitter: sleeping, once the host has
  /// stopped reading for a while.
  void write(std::string_view text) const;

 private:
  void wait_for_transmitter() const;

  uint16_t base_;
};

}  // namespace atoll_os::servers::ctl
