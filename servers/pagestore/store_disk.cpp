// The page store's disk: the virtio-blk device, with the capabilities init granted.
#include "store_disk.h"

#include "../lib/port_config_space.h"
#include "../lib/start_arguments.h"
#include "atoll/protocols/pm.h"
#include "atoll/text.h"
#include "atoll/user/print.h"
#include "atoll/user/syscalls.h"
#include "virtio_blk.h"

namespace atoll_os::servers::pagestore {
namespace {

// Where the disk's queue and request buffers are mapped in the store's address space.
constexpr uint64_t kDmaBase = 0x0000'6000'0000'0000;

}  // namespace

PageDisk* open_store_disk(int argc, char** argv) {
  const abi::Handle ioports = protocols::pm::find_capability(argc, argv, "ioports");
  const abi::Handle dma = protocols::pm::find_capability(argc, argv, "dma");
  const abi::Handle irq = protocols::pm::find_capability(argc, argv, "irq");
  Result<uint64_t> irq_line = text::parse_unsigned(argument_value(argc, argv, "irq"));
  if (ioports == abi::kNoHandle || dma == abi::kNoHandle) {
    user::print("pagestore: no ioports or dma capability; pages stay in memory\n");
    return nullptr;
  }
  if (Result<void> r = user::ioport_enable(ioports); !r.ok()) {
    user::print("pagestore: ioports: %s; pages stay in memory\n", error_name(r.error()));
    return nullptr;
  }
  static devices::PortConfigSpace config_space;
  static VirtioBlock disk;
  if (Result<void> r = disk.init(config_space, dma, kDmaBase); !r.ok()) {
    user::print("pagestore: no usable virtio-blk disk (%s); pages stay in memory\n",
                error_name(r.error()));
    return nullptr;
  }
  if (irq != abi::kNoHandle && irq_line.ok() && *irq_line == disk.irq_line()) {
    if (Result<void> r = disk.use_interrupt(irq); !r.ok()) {
      user::print("pagestore: disk interrupt: %s; polling\n", error_name(r.error()));
    }
  } else {
    user::print("pagestore: the disk interrupts on IRQ %u, not the one granted; polling\n",
                disk.irq_line());
  }
  user::print("pagestore: virtio-blk disk of %lu KiB, IRQ %u: %u pages to spill to\n",
              disk.capacity_bytes() / 1024, disk.irq_line(), disk.blocks());
  return &disk;
}

}  // namespace atoll_os::servers::pagestore
