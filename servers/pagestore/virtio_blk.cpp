// virtio-blk, legacy interface (virtio 1.x §4.1.4.8 and §5.2): reset, acknowledge, no
// features, one queue by page frame number, DRIVER_OK; requests are header, data, status.
#include "virtio_blk.h"

#include <optional>

#include "atoll/port_io.h"
#include "atoll/user/clock.h"
#include "atoll/user/syscalls.h"

namespace atoll_os::servers::pagestore {
namespace {

using namespace devices;

// Registers, as offsets from I/O BAR 0 (no MSI-X, so the device config follows at 20).
constexpr uint16_t kRegDeviceFeatures = 0x00;
constexpr uint16_t kRegDriverFeatures = 0x04;
constexpr uint16_t kRegQueuePfn = 0x08;
constexpr uint16_t kRegQueueSize = 0x0c;
constexpr uint16_t kRegQueueSelect = 0x0e;
constexpr uint16_t kRegQueueNotify = 0x10;
constexpr uint16_t kRegStatus = 0x12;
constexpr uint16_t kRegIsr = 0x13;
constexpr uint16_t kRegCapacity = 0x14;  // u64, in 512-byte sectors

constexpr uint8_t kStatusAcknowledge = 1;
constexpr uint8_t kStatusDriver = 2;
constexpr uint8_t kStatusDriverOk = 4;
constexpr uint8_t kStatusFailed = 128;

constexpr uint32_t kFeatureReadOnly = 1u << 5;  // VIRTIO_BLK_F_RO

constexpr uint32_t kRequestIn = 0;   // VIRTIO_BLK_T_IN: read
constexpr uint32_t kRequestOut = 1;  // VIRTIO_BLK_T_OUT: write
constexpr uint8_t kRequestOk = 0;    // VIRTIO_BLK_S_OK
constexpr size_t kBlockHeaderBytes = 16;
constexpr uint8_t kStatusPending = 0xff;

constexpr size_t kPage = 4096;
constexpr uint64_t kSectorsPerPage = kPage / 512;
constexpr uint64_t kIrqBit = 1;
// A completion that takes longer than this fails the request (the device is stuck).
constexpr uint64_t kRequestTimeoutNs = 5'000'000'000;
constexpr uint64_t kInterruptWaitNs = 100'000'000;  // then the used ring is looked at anyway

}  // namespace

Result<void> VirtioBlock::init(ConfigSpace& config, abi::Handle dma, uint64_t dma_base) {
  PciFunction function = TRY(find_device(config, kVirtioBlockMatch));
  PciBar bar = TRY(read_bar(config, function.address, 0));
  if (bar.kind != PciBar::Kind::kIo || bar.address > 0xffff) return Err(Error::kNotSupported);
  io_base_ = static_cast<uint16_t>(bar.address);
  irq_line_ = interrupt_line(config, function.address).value_or(0);
  TRY(enable_io_and_bus_master(config, function.address));
  TRY(negotiate());

  port_io::outw(io_base_ + kRegQueueSelect, 0);
  uint32_t size = port_io::inw(io_base_ + kRegQueueSize);
  if (size == 0 || size > kBlockQueueMax) {
    port_io::outb(io_base_ + kRegStatus, kStatusFailed);
    return Err(Error::kNotSupported);
  }
  VirtqLayout layout = TRY(legacy_layout(size));
  const size_t pages = layout.total_size / kPage + 2;  // the rings, the request, the data
  uint64_t phys = TRY(user::vm_map_dma(dma, abi::kNoHandle, dma_base, pages, abi::kVmWrite));
  auto* base = reinterpret_cast<uint8_t*>(dma_base);
  TRY(queue_.init({base, phys, layout.total_size}, {state_, size}, size));
  port_io::outl(io_base_ + kRegQueuePfn, static_cast<uint32_t>(phys / kLegacyQueueAlign));
  request_ = base + layout.total_size;
  request_phys_ = phys + layout.total_size;
  data_ = request_ + kPage;
  data_phys_ = request_phys_ + kPage;
  queue_.disable_interrupts();  // until use_interrupt()
  port_io::outb(io_base_ + kRegStatus, kStatusAcknowledge | kStatusDriver | kStatusDriverOk);
  return success();
}

Result<void> VirtioBlock::negotiate() {
  port_io::outb(io_base_ + kRegStatus, 0);  // reset
  port_io::outb(io_base_ + kRegStatus, kStatusAcknowledge);
  port_io::outb(io_base_ + kRegStatus, kStatusAcknowledge | kStatusDriver);
  uint32_t offered = port_io::inl(io_base_ + kRegDeviceFeatures);
  if (offered & kFeatureReadOnly) {
    port_io::outb(io_base_ + kRegStatus, kStatusFailed);
    return Err(Error::kNotSupported);
  }
  port_io::outl(io_base_ + kRegDriverFeatures, 0);  // no feature is needed for whole pages
  capacity_sectors_ = uint64_t(port_io::inl(io_base_ + kRegCapacity)) |
                      uint64_t(port_io::inl(io_base_ + kRegCapacity + 4)) << 32;
  if (capacity_sectors_ < kSectorsPerPage) {
    port_io::outb(io_base_ + kRegStatus, kStatusFailed);
    return Err(Error::kNotSupported);
  }
  return success();
}

Result<void> VirtioBlock::use_interrupt(abi::Handle irq) {
  wakeup_ = TRY(user::notification_create());
  TRY(user::irq_bind(irq, wakeup_, kIrqBit));
  irq_ = irq;
  (void)queue_.enable_interrupts();
  return success();
}

uint32_t VirtioBlock::blocks() const {
  uint64_t pages = capacity_sectors_ / kSectorsPerPage;
  return pages > kMaxDiskPages ? kMaxDiskPages : uint32_t(pages);
}

// Waits for the one request in flight: by interrupt if there is one (checking the used ring
// after each wait, since a completion may come without one), else by polling.
Result<void> VirtioBlock::wait_for_completion() {
  const uint64_t deadline = user::now_ns() + kRequestTimeoutNs;
  for (;;) {
    std::optional<UsedBuffer> used = TRY(queue_.take_used());
    if (used.has_value()) return success();
    if (user::now_ns() > deadline) return Err(Error::kTimedOut);
    if (irq_ == abi::kNoHandle) {
      user::yield();
      continue;
    }
    Result<uint64_t> bits = user::notification_wait(wakeup_, kInterruptWaitNs);
    if (bits.ok() && (*bits & kIrqBit)) {
      if (port_io::inb(io_base_ + kRegIsr) != 0) ++counters_.interrupts;
      (void)user::irq_ack(irq_);
    }
  }
}

Result<void> VirtioBlock::transfer(uint32_t block, bool write) {
  if (block >= blocks()) return Err(Error::kOutOfRange);
  const uint64_t sector = uint64_t{block} * kSectorsPerPage;
  const uint32_t type = write ? kRequestOut : kRequestIn;
  for (size_t i = 0; i < 4; ++i) request_[i] = uint8_t(type >> (8 * i));
  for (size_t i = 4; i < 8; ++i) request_[i] = 0;
  for (size_t i = 0; i < 8; ++i) request_[8 + i] = uint8_t(sector >> (8 * i));
  request_[kBlockHeaderBytes] = kStatusPending;
  const BufferSegment segments[3] = {
      {request_phys_, kBlockHeaderBytes, false},
      {data_phys_, kPage, !write},
      {request_phys_ + kBlockHeaderBytes, 1, true},
  };
  TRY(queue_.add_buffer(segments));
  queue_.publish();
  if (queue_.needs_notify()) port_io::outw(io_base_ + kRegQueueNotify, 0);
  TRY(wait_for_completion());
  if (__atomic_load_n(&request_[kBlockHeaderBytes], __ATOMIC_ACQUIRE) != kRequestOk) {
    ++counters_.errors;
    return Err(Error::kBusy);
  }
  ++(write ? counters_.writes : counters_.reads);
  return success();
}

Result<void> VirtioBlock::write_page(uint32_t block, const uint8_t* page) {
  __builtin_memcpy(data_, page, kPage);
  return transfer(block, true);
}

Result<void> VirtioBlock::read_page(uint32_t block, uint8_t* page) {
  TRY(transfer(block, false));
  __builtin_memcpy(page, data_, kPage);
  return success();
}

}  // namespace atoll_os::servers::pagestore
