// Interrupt lines and I/O port ranges as kernel objects, so user drivers hold them by handle.
#pragma once

#include "object/kernel_object.h"
#include "object/notification.h"

namespace atoll_os::kernel {

/// A legacy IRQ line. When bound, an interrupt masks the line and signals the
/// notification; the driver acknowledges it to unmask.
class IrqLine final : public KernelObject {
 public:
  static constexpr uint8_t kLines = 16;
  /// The line objects, made once at boot (lines the kernel uses are not handed out).
  static void create_all();
  static IrqLine* line(uint8_t irq) { return irq < kLines ? lines_[irq] : nullptr; }

  void bind(Notification* notification, uint64_t bits);
  /// The driver has handled the interrupt: unmask the line.
  void acknowledge();
  /// Interrupt context: mask the line and tell the bound driver.
  void acknowledge_from_interrupt();

 private:
  explicit IrqLine(uint8_t irq) : KernelObject(abi::ObjectType::kIrq), irq_(irq) {}

  uint8_t irq_;
  Notification* notification_ = nullptr;  // holds a reference
  uint64_t bits_ = 0;
  static inline IrqLine* lines_[kLines] = {};
};

/// Permission to map physically contiguous memory and learn its physical address, which a
/// driver hands to its device for DMA. Without an IOMMU a device can reach all of memory,
/// so only trusted drivers get it.
class DmaMemory final : public KernelObject {
 public:
  static DmaMemory* create() { return new DmaMemory; }

 private:
  DmaMemory() : KernelObject(abi::ObjectType::kDmaMemory) {}
};

/// Permission to use I/O ports; the boot handle covers all of them.
class IoPorts final : public KernelObject {
 public:
  static IoPorts* create() { return new IoPorts; }

 private:
  IoPorts() : KernelObject(abi::ObjectType::kIoPorts) {}
};

}  // namespace atoll_os::kernel
