// A virtio-blk driver over the legacy (transitional) PCI interface, like net's virtio-net:
// registers in I/O BAR 0, one request queue in DMA memory, INTx interrupts. It reads and
// writes whole 4 KiB pages, one request at a time (the page store calls it under its lock).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../lib/pci.h"
#include "../lib/virtqueue.h"
#include "atoll/abi/syscalls.h"
#include "atoll/result.h"
#include "page_store.h"

namespace atoll_os::servers::pagestore {

inline constexpr uint32_t kBlockQueueMax = 1024;

struct VirtioBlockCounters {
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t interrupts = 0;
  uint64_t errors = 0;  // the device answered a request with a status other than OK
};

class VirtioBlock final : public PageDisk {
 public:
  VirtioBlock() = default;
  VirtioBlock(const VirtioBlock&) = delete;
  VirtioBlock& operator=(const VirtioBlock&) = delete;

  /// Finds the first virtio-blk function, resets and configures it, maps its queue and one
  /// request's buffers (`dma` capability, at `dma_base`). kNotFound without a device,
  /// kNotSupported for a device this driver cannot drive (read-only, no queue, too large a
  /// queue, a capacity below one page).
  Result<void> init(devices::ConfigSpace& config, abi::Handle dma, uint64_t dma_base);

  /// Completion by interrupt: `irq` (bound here to a fresh notification) must be the line
  /// the device uses. Without this call, completions are polled.
  Result<void> use_interrupt(abi::Handle irq);

  uint8_t irq_line() const { return irq_line_; }
  uint64_t capacity_bytes() const { return capacity_sectors_ * 512; }
  const VirtioBlockCounters& counters() const { return counters_; }

  // PageDisk: block i is bytes [i * 4096, (i + 1) * 4096) of the disk.
  uint32_t blocks() const override;
  Result<void> write_page(uint32_t block, const uint8_t* page) override;
  Result<void> read_page(uint32_t block, uint8_t* page) override;

 private:
  Result<void> negotiate();
  Result<void> transfer(uint32_t block, bool write);
  Result<void> wait_for_completion();

  uint16_t io_base_ = 0;
  uint8_t irq_line_ = 0;
  uint64_t capacity_sectors_ = 0;
  abi::Handle irq_ = abi::kNoHandle;
  abi::Handle wakeup_ = abi::kNoHandle;
  devices::Virtqueue queue_;
  devices::DescriptorState state_[kBlockQueueMax] = {};
  uint8_t* request_ = nullptr;  // the request header, then the status byte at +16
  uint64_t request_phys_ = 0;
  uint8_t* data_ = nullptr;  // one page
  uint64_t data_phys_ = 0;
  VirtioBlockCounters counters_;
};

}  // namespace atoll_os::servers::pagestore
