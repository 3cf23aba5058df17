// System calls: IRQ lines and I/O ports for user drivers.
#include "arch/x86_64/context.h"
#include "object/irq_line.h"
#include "object/task.h"
#include "sched/scheduler.h"
#include "syscall/syscall.h"

namespace atoll_os::kernel {

int64_t sys_irq_bind(const SyscallArgs& args) {
  HandleTable& table = current_task().handles();
  auto irq = table.lookup(uint32_t(args.a0), abi::ObjectType::kIrq, abi::kRightControl);
  if (!irq.ok()) return -int64_t(irq.error());
  Notification* notification = nullptr;
  if (args.a1 != 0) {
    auto n = table.lookup(uint32_t(args.a1), abi::ObjectType::kNotification, abi::kRightWrite);
    if (!n.ok()) return -int64_t(n.error());
    notification = static_cast<Notification*>((*n)->object);
  }
  if (args.a2 >> 63 || (notification && args.a2 == 0)) return -int64_t(Error::kInvalidArgument);
  static_cast<IrqLine*>((*irq)->object)->bind(notification, args.a2);
  return 0;
}

int64_t sys_irq_ack(const SyscallArgs& args) {
  auto irq =
      current_task().handles().lookup(uint32_t(args.a0), abi::ObjectType::kIrq, abi::kRightControl);
  if (!irq.ok()) return -int64_t(irq.error());
  static_cast<IrqLine*>((*irq)->object)->acknowledge();
  return 0;
}

// Port access is all or nothing per task: IOPL 3 in its threads' flags. Threads created
// later inherit it from the task.
int64_t sys_ioport_enable(const SyscallArgs& args) {
  auto ports = current_task().handles().lookup(uint32_t(args.a0), abi::ObjectType::kIoPorts,
                                               abi::kRightControl);
  if (!ports.ok()) return -int64_t(ports.error());
  current_task().enable_io_ports();
  current_thread().user_frame().rflags |= x86_64::kRflagsIopl3;
  return 0;
}

int64_t sys_vm_map_dma(const SyscallArgs& args) {
  HandleTable& table = current_task().handles();
  auto dma = table.lookup(uint32_t(args.a0), abi::ObjectType::kDmaMemory, abi::kRightControl);
  if (!dma.ok() || args.a0 > UINT32_MAX)
    return -int64_t(dma.ok() ? Error::kBadHandle : dma.error());
  // The DMA capability is the authority; handle 0 maps into the calling task itself.
  Task* target = &current_task();
  if (args.a1 != abi::kNoHandle) {
    auto task = table.lookup(uint32_t(args.a1), abi::ObjectType::kTask, abi::kRightMemory);
    if (!task.ok() || args.a1 > UINT32_MAX) {
      return -int64_t(task.ok() ? Error::kBadHandle : task.error());
    }
    target = static_cast<Task*>((*task)->object);
  }
  constexpr uint64_t kKnownFlags = abi::kVmWrite | abi::kVmUncached;  // never executable
  if (args.a4 & ~kKnownFlags) return -int64_t(Error::kInvalidArgument);
  constexpr uint64_t kMaxPages = 1024;  // 4 MiB: rings and packet buffers, not bulk memory
  if (args.a3 == 0 || args.a3 > kMaxPages) return -int64_t(Error::kInvalidArgument);
  return syscall_result(target->map_contiguous(args.a2, args.a3, uint32_t(args.a4)));
}

}  // namespace atoll_os::kernel
