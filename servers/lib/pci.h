// PCI configuration space: enumeration, BARs, the interrupt line and the command register.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/result.h"

namespace atoll_os::servers::devices {

/// Reaches configuration space (drivers: ports 0xcf8/0xcfc; tests: a fake). `offset`
/// is a multiple of 4 below 256; the callers here check every address before calling.
class ConfigSpace {
 public:
  virtual uint32_t read32(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset) = 0;
  virtual void write32(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset,
                       uint32_t value) = 0;

 protected:
  ~ConfigSpace() = default;
};

struct PciAddress {
  uint8_t bus;
  uint8_t device;    // < 32
  uint8_t function;  // < 8
};

// Offsets in the common header and the type-0 header.
inline constexpr uint8_t kPciVendorDevice = 0x00;
inline constexpr uint8_t kPciCommandStatus = 0x04;
inline constexpr uint8_t kPciClassRevision = 0x08;
inline constexpr uint8_t kPciHeaderWord = 0x0c;  // header type in bits 23:16
inline constexpr uint8_t kPciBar0 = 0x10;
inline constexpr uint8_t kPciSubsystem = 0x2c;  // type 0: subsystem id in bits 31:16
inline constexpr uint8_t kPciInterrupt = 0x3c;  // line in bits 7:0, pin in 15:8

inline constexpr uint16_t kPciCommandIo = 1 << 0;
inline constexpr uint16_t kPciCommandMemory = 1 << 1;
inline constexpr uint16_t kPciCommandBusMaster = 1 << 2;
inline constexpr uint16_t kPciCommandInterruptDisable = 1 << 10;

/// The transitional virtio devices QEMU offers; the subsystem id names the virtio type.
inline constexpr uint16_t kVirtioVendor = 0x1af4;
inline constexpr uint16_t kVirtioNetTransitionalDevice = 0x1000;
inline constexpr uint16_t kVirtioSubsystemNet = 1;
inline constexpr uint16_t kVirtioBlockTransitionalDevice = 0x1001;
inline constexpr uint16_t kVirtioSubsystemBlock = 2;

/// One function found on the bus.
struct PciFunction {
  PciAddress address;
  uint16_t vendor_id;
  uint16_t device_id;
  uint8_t class_code;
  uint8_t subclass;
  uint8_t prog_if;
  uint8_t revision;
  uint8_t header_type;           // without the multi-function bit
  uint16_t subsystem_vendor_id;  // type-0 headers only, else 0
  uint16_t subsystem_id;
};

/// Reads one function's identity; kInvalidArgument for an impossible address, kNotFound if
/// nothing answers there.
Result<PciFunction> read_function(ConfigSpace& config, PciAddress address);

/// Every function on buses 0–255; the first out.size() go to `out`. Returns how many exist,
/// which may exceed out.size().
size_t enumerate(ConfigSpace& config, std::span<PciFunction> out);

/// What a device search matches; subsystem_id < 0 matches any.
struct PciMatch {
  uint16_t vendor_id;
  uint16_t device_id;
  int32_t subsystem_id;
};
inline constexpr PciMatch kVirtioNetMatch = {kVirtioVendor, kVirtioNetTransitionalDevice,
                                             kVirtioSubsystemNet};
inline constexpr PciMatch kVirtioBlockMatch = {kVirtioVendor, kVirtioBlockTransitionalDevice,
                                               kVirtioSubsystemBlock};

/// The `index`-th matching function in bus order; kNotFound.
Result<PciFunction> find_device(ConfigSpace& config, PciMatch match, size_t index = 0);

struct PciBar {
  enum class Kind : uint8_t { kIo, kMemory32, kMemory64 };
  Kind kind;
  bool prefetchable;
  uint64_t address;  // I/O port or physical address
  uint64_t size;
};

/// BAR `index` (0–5 for a device, 0–1 for a bridge), sized by writing all ones and reading
/// back, with decoding off meanwhile and every register restored. A 64-bit BAR takes
/// `index` and `index + 1`. kOutOfRange (no such slot), kNotFound (unimplemented),
/// kBadFormat (64-bit BAR in the last slot, reserved type, size not a power of two),
/// kNotSupported (a header type without BARs).
Result<PciBar> read_bar(ConfigSpace& config, PciAddress address, unsigned index);

/// The legacy (8259) IRQ the firmware routed the function to: kNotFound if none (0xff or no
/// interrupt pin), kOutOfRange if beyond the 16 legacy lines.
Result<uint8_t> interrupt_line(ConfigSpace& config, PciAddress address);

/// Sets then clears bits of the command register, leaving the others and the status bits
/// (write-one-to-clear) alone. Returns the new command value.
Result<uint16_t> update_command(ConfigSpace& config, PciAddress address, uint16_t set,
                                uint16_t clear = 0);

/// What a legacy virtio device needs: port I/O, DMA by the device, and its INTx line.
inline Result<uint16_t> enable_io_and_bus_master(ConfigSpace& config, PciAddress address) {
  return update_command(config, address, kPciCommandIo | kPciCommandBusMaster,
                        kPciCommandInterruptDisable);
}

}  // namespace atoll_os::servers::devices
