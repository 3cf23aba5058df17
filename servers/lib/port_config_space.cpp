// Configuration mechanism #1: enable bit, bus, device, function and register in 0xcf8.
#include "port_config_space.h"

#include "atoll/port_io.h"

namespace atoll_os::servers::devices {
namespace {

constexpr uint16_t kConfigAddress = 0xcf8;
constexpr uint16_t kConfigData = 0xcfc;

uint32_t config_address(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset) {
  return (1u << 31) | (uint32_t{bus} << 16) | (uint32_t{device} << 11) | (uint32_t{function} << 8) |
         (offset & 0xfc);
}

}  // namespace

uint32_t PortConfigSpace::read32(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset) {
  port_io::outl(kConfigAddress, config_address(bus, device, function, offset));
  return port_io::inl(kConfigData);
}

void PortConfigSpace::write32(uint8_t bus, uint8_t device, uint8_t function, uint8_t offset,
                              uint32_t value) {
  port_io::outl(kConfigAddress, config_address(bus, device, function, offset));
  port_io::outl(kConfigData, value);
}

}  // namespace atoll_os::servers::devices
