// The page store's disk: the virtio-blk device of the store's node, if one is attached.
#pragma once

#include "page_store.h"

namespace atoll_os::servers::pagestore {

/// Finds and starts the node's virtio-blk disk with the capabilities the manifest passed
/// (ioports, dma, irq and irq=N); nullptr, after saying why on the console, when the node
/// has none or it cannot be used: the store then keeps pages in memory only.
PageDisk* open_store_disk(int argc, char** argv);

}  // namespace atoll_os::servers::pagestore
