// PCI configuration-space logic over an abstract accessor, checked against absent devices
// and BARs that read back nonsense.
#include "pci.h"

namespace atoll_os::servers::devices {
namespace {

constexpr unsigned kDevicesPerBus = 32;
constexpr unsigned kFunctionsPerDevice = 8;
constexpr uint8_t kHeaderMultiFunction = 0x80;
constexpr uint32_t kBarIo = 1;
constexpr uint32_t kBarTypeMask = 0x6;
constexpr uint32_t kBarType64 = 0x4;
constexpr uint32_t kBarPrefetchable = 0x8;

bool valid(PciAddress a) {
  return a.device < kDevicesPerBus && a.function < kFunctionsPerDevice;
}

uint32_t read(ConfigSpace& config, PciAddress a, uint8_t offset) {
  return config.read32(a.bus, a.device, a.function, offset);
}

void write(ConfigSpace& config, PciAddress a, uint8_t offset, uint32_t value) {
  config.write32(a.bus, a.device, a.function, offset, value);
}

uint8_t raw_header_type(ConfigSpace& config, PciAddress a) {
  return static_cast<uint8_t>(read(config, a, kPciHeaderWord) >> 16);
}

Result<void> check_present(ConfigSpace& config, PciAddress a) {
  if (!valid(a)) return Err(Error::kInvalidArgument);
  const uint16_t vendor = static_cast<uint16_t>(read(config, a, kPciVendorDevice));
  // No device answers with all ones; 0 is no assigned vendor either.
  if (vendor == 0xffff || vendor == 0) return Err(Error::kNotFound);
  return success();
}

/// Calls visit(function) for every function in bus order until it returns false.
template <typename Visit>
void scan(ConfigSpace& config, Visit&& visit) {
  for (unsigned bus = 0; bus < 256; ++bus) {
    for (uint8_t device = 0; device < kDevicesPerBus; ++device) {
      const PciAddress first{static_cast<uint8_t>(bus), device, 0};
      if (!check_present(config, first)) continue;
      // Functions 1–7 exist only if function 0 says so; otherwise they may alias it.
      const bool multi = raw_header_type(config, first) & kHeaderMultiFunction;
      const uint8_t functions = multi ? kFunctionsPerDevice : 1;
      for (uint8_t function = 0; function < functions; ++function) {
        auto found = read_function(config, {first.bus, device, function});
        if (found && !visit(*found)) return;
      }
    }
  }
}

bool matches(const PciFunction& f, PciMatch match) {
  return f.vendor_id == match.vendor_id && f.device_id == match.device_id &&
         (match.subsystem_id < 0 || f.subsystem_id == match.subsystem_id);
}

Result<unsigned> bar_count(ConfigSpace& config, PciAddress a) {
  switch (raw_header_type(config, a) & ~kHeaderMultiFunction) {
    case 0: return 6u;
    case 1: return 2u;  // PCI-to-PCI bridge
    default: return Err(Error::kNotSupported);
  }
}

/// Writes all ones to the BAR register at `offset`, reads back what sticks, restores it.
uint32_t probe(ConfigSpace& config, PciAddress a, uint8_t offset, uint32_t original) {
  write(config, a, offset, 0xffffffff);
  const uint32_t mask = read(config, a, offset);
  write(config, a, offset, original);
  return mask;
}

/// What BAR `index` of `count` is, from its register's low bits.
Result<PciBar::Kind> bar_kind(uint32_t low, unsigned index, unsigned count) {
  if (low & kBarIo) return PciBar::Kind::kIo;
  if ((low & kBarTypeMask) == 0) return PciBar::Kind::kMemory32;
  if ((low & kBarTypeMask) != kBarType64) {
    return Err(Error::kBadFormat);  // type 1 (below 1 MiB) is reserved since PCI 3.0
  }
  if (index + 1 >= count) return Err(Error::kBadFormat);  // its upper half is missing
  return PciBar::Kind::kMemory64;
}

/// The size a BAR decodes, from the address bits that stuck at one when sized.
Result<uint64_t> size_from_mask(PciBar::Kind kind, uint32_t low_mask, uint32_t high_mask) {
  uint64_t bits;
  if (kind == PciBar::Kind::kIo) {
    bits = low_mask & ~uint32_t{0x3};
    // Many devices decode only 16 port bits and read the upper half back as zero.
    if ((bits >> 16) == 0 && bits != 0) bits |= 0xffff0000;
  } else {
    bits = (uint64_t{high_mask} << 32) | (low_mask & ~uint32_t{0xf});
  }
  if (bits == 0) return Err(Error::kNotFound);  // unimplemented: nothing sticks
  if (kind != PciBar::Kind::kMemory64) bits |= 0xffffffff00000000;
  const uint64_t size = ~bits + 1;
  // The writable bits must be all the high ones: a hole in them decodes no single range.
  if (size == 0 || (size & (size - 1)) != 0) return Err(Error::kBadFormat);
  return size;
}

}  // namespace

Result<PciFunction> read_function(ConfigSpace& config, PciAddress address) {
  TRY(check_present(config, address));
  const uint32_t ids = read(config, address, kPciVendorDevice);
  const uint32_t class_revision = read(config, address, kPciClassRevision);
  PciFunction f{};
  f.address = address;
  f.vendor_id = static_cast<uint16_t>(ids);
  f.device_id = static_cast<uint16_t>(ids >> 16);
  f.class_code = static_cast<uint8_t>(class_revision >> 24);
  f.subclass = static_cast<uint8_t>(class_revision >> 16);
  f.prog_if = static_cast<uint8_t>(class_revision >> 8);
  f.revision = static_cast<uint8_t>(class_revision);
  f.header_type = raw_header_type(config, address) & ~kHeaderMultiFunction;
  if (f.header_type == 0) {
    const uint32_t subsystem = read(config, address, kPciSubsystem);
    f.subsystem_vendor_id = static_cast<uint16_t>(subsystem);
    f.subsystem_id = static_cast<uint16_t>(subsystem >> 16);
  }
  return f;
}

size_t enumerate(ConfigSpace& config, std::span<PciFunction> out) {
  size_t count = 0;
  scan(config, [&](const PciFunction& f) {
    if (count < out.size()) out[count] = f;
    ++count;
    return true;
  });
  return count;
}

Result<PciFunction> find_device(ConfigSpace& config, PciMatch match, size_t index) {
  PciFunction found{};
  bool done = false;
  scan(config, [&](const PciFunction& f) {
    if (!matches(f, match)) return true;
    if (index-- > 0) return true;
    found = f;
    done = true;
    return false;
  });
  if (!done) return Err(Error::kNotFound);
  return found;
}

Result<PciBar> read_bar(ConfigSpace& config, PciAddress address, unsigned index) {
  TRY(check_present(config, address));
  const unsigned count = TRY(bar_count(config, address));
  if (index >= count) return Err(Error::kOutOfRange);
  const uint8_t offset = static_cast<uint8_t>(kPciBar0 + 4 * index);
  const uint32_t low = read(config, address, offset);

  PciBar bar{};
  bar.kind = TRY(bar_kind(low, index, count));
  const bool is64 = bar.kind == PciBar::Kind::kMemory64;
  const uint32_t high = is64 ? read(config, address, offset + 4) : 0;

  // Decoding off while the BAR briefly holds all ones, so that it claims no stray range.
  const uint16_t command = static_cast<uint16_t>(read(config, address, kPciCommandStatus));
  write(config, address, kPciCommandStatus, command & ~(kPciCommandIo | kPciCommandMemory));
  const uint32_t low_mask = probe(config, address, offset, low);
  const uint32_t high_mask = is64 ? probe(config, address, offset + 4, high) : 0;
  write(config, address, kPciCommandStatus, command);  // status bits written as 0: kept

  if (bar.kind == PciBar::Kind::kIo) {
    bar.address = low & ~uint32_t{0x3};
  } else {
    bar.address = (uint64_t{high} << 32) | (low & ~uint32_t{0xf});
    bar.prefetchable = low & kBarPrefetchable;
  }
  bar.size = TRY(size_from_mask(bar.kind, low_mask, high_mask));
  return bar;
}

Result<uint8_t> interrupt_line(ConfigSpace& config, PciAddress address) {
  TRY(check_present(config, address));
  const uint32_t word = read(config, address, kPciInterrupt);
  const uint8_t line = static_cast<uint8_t>(word);
  const uint8_t pin = static_cast<uint8_t>(word >> 8);
  if (pin == 0 || line == 0xff) return Err(Error::kNotFound);
  if (line >= 16) return Err(Error::kOutOfRange);
  return line;
}

Result<uint16_t> update_command(ConfigSpace& config, PciAddress address, uint16_t set,
                                uint16_t clear) {
  TRY(check_present(config, address));
  const uint16_t old = static_cast<uint16_t>(read(config, address, kPciCommandStatus));
  const uint16_t updated = static_cast<uint16_t>((old | set) & ~clear);
  // The upper half is the status register, whose error bits clear when written with one:
  // writing zeros there leaves them as they are.
  write(config, address, kPciCommandStatus, updated);
  return updated;
}

}  // namespace atoll_os::servers::devices
