// Sending and receiving a memory slice (memory_slice.h) over any byte stream, through the
// MemoryKernel seam: the logic of mm's migration threads, which host tests run.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "address_space.h"
#include "memory_service.h"
#include "memory_slice.h"

namespace atoll_os::servers::mm {

/// Where a slice's bytes go (a slice connection, on the node).
class SliceSink {
 public:
  /// Starts the slice: `body_bytes` will follow, exactly.
  virtual Result<void> begin(uint64_t body_bytes) = 0;
  virtual Result<void> write(const void* data, size_t length) = 0;

 protected:
  ~SliceSink() = default;
};

/// Where a slice's bytes come from.
class SliceSource {
 public:
  virtual Result<void> read_exact(void* out, size_t length) = 0;

 protected:
  ~SliceSource() = default;
};

/// The sender's working memory: runs found by the first scan (the rest is scanned again
/// while sending) and one vm_query bitmap chunk.
struct SendScratch {
  PageRun* runs;
  size_t run_capacity;
  uint64_t* bitmap;
  size_t bitmap_pages;  // a multiple of 64
};

struct SendTotals {
  uint64_t body_bytes;
  uint64_t pages;  // every page written, the ProcessStart page included
};

/// Sends `space` (a copy: its regions) of the frozen `task`: regions, then every present
/// page of them and the ProcessStart page, in runs. On failure `*refusal` says why.
Result<SendTotals> send_memory_slice(MemoryKernel& kernel, const AddressSpace& space,
                                     abi::Handle task, const SendScratch& scratch, SliceSink& sink,
                                     SliceError* refusal);

/// Receives a slice of `body_bytes` into `space` (a prepare_receive copy, empty) and
/// `task`; returns the pages installed (the ProcessStart page included) and counts the
/// region pages resident in `space`. On failure the task is left without any page of the
/// slice, and `*refusal` says why. `modules` gives the boot module sizes.
Result<uint64_t> receive_memory_slice(MemoryKernel& kernel, const MemoryService& modules,
                                      AddressSpace& space, abi::Handle task, uint64_t body_bytes,
                                      SliceSource& source, SliceError* refusal);

}  // namespace atoll_os::servers::mm
