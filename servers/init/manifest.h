// The boot manifest: which servers init starts, in order, with arguments and capabilities.
//
// One server per line: `NAME [ARGUMENT...]`, blank-separated; `#` starts a comment. An
// argument beginning with `@` asks init for a capability instead of being passed on:
//   @ioports          every I/O port               (the child finds it as cap "ioports")
//   @irq=N            legacy IRQ line N, 0..15     (cap "irq")
//   @names-endpoint   the name service's endpoint  (cap "endpoint"), to receive on
//   @dma              contiguous memory with its physical address (cap "dma"), for drivers
//   @mm-endpoint      mm's endpoint, system-badged (cap "mm"), for migm's migration calls
//   @ipcm-service     the IPC manager's endpoint (cap "endpoint"), to receive on; init
//                     makes it, so that pm and migm hold system-badged copies
//   @ipcm-endpoint    ipcm's endpoint, system-badged (cap "ipcm"), for migm's migration calls
// An argument `$KEY` is replaced by `KEY=VALUE` from the kernel command line (dropped if the
// command line lacks KEY): node identity reaches the servers that need it this way.
// The first two lines must be `mm` and `pm`: init starts those itself, pm the rest.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

namespace atoll_os::servers::init {

inline constexpr size_t kMaxEntries = 16;
inline constexpr size_t kMaxEntryArguments = 8;
inline constexpr size_t kMaxEntryCapabilities = abi::kMessageHandlesMax;
inline constexpr size_t kMaxServerName = 31;

enum class CapabilityKind {
  kIoPorts,
  kIrq,
  kNamesEndpoint,
  kDma,
  kMmEndpoint,
  kIpcmService,
  kIpcmEndpoint,
};

struct ManifestCapability {
  CapabilityKind kind;
  uint32_t irq;  // kIrq
};

/// The name under which the child finds a capability of this kind.
const char* capability_name(CapabilityKind kind);

struct ManifestEntry {
  std::string_view name;
  std::string_view arguments[kMaxEntryArguments];
  size_t argument_count;
  ManifestCapability capabilities[kMaxEntryCapabilities];
  size_t capability_count;
};

/// Where and why parsing failed.
struct ManifestError {
  size_t line;  // 1-based
  const char* reason;
};

/// Parsed view of a manifest's text, which must outlive it.
class Manifest {
 public:
  /// Errors (kBadFormat, with `error` filled): an unknown capability, a bad IRQ number, a
  /// name too long, too many entries, arguments or capabilities, a repeated server, or a
  /// manifest that does not begin with mm and pm.
  static Result<Manifest> parse(std::string_view text, ManifestError* error);

  size_t size() const { return count_; }
  const ManifestEntry& at(size_t i) const { return entries_[i]; }

 private:
  ManifestEntry entries_[kMaxEntries] = {};
  size_t count_ = 0;
};

/// Used when GRUB loaded no boot.manifest module.
inline constexpr std::string_view kDefaultManifest =
    "mm\npm\nnames @names-endpoint\nctl @ioports @irq=3\n";

}  // namespace atoll_os::servers::init
