// PCI configuration space through the legacy mechanism #1 ports, 0xcf8 (address) and
// 0xcfc (data), which every PC chipset QEMU emulates implements.
#pragma once

#include "pci.h"

namespace atoll_os::servers::devices {

class PortConfigSpace final : public ConfigSpace {
 public:
  uint32_t read32(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset) override;
  void write32(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset,
               uint32_t value) override;
};

}  // namespace atoll_os::servers::devices
