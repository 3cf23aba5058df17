// Building a process from a boot module: task, mm regions, ProcessStart page, first thread.
// Shared by init (which builds pm) and pm (which builds every other process).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/mm.h"
#include "atoll/result.h"

namespace atoll_os::servers {

/// A handle the new process gets: `source` (in the builder's table) copied with `rights`;
/// with a nonzero badge, a copy badged so first. kNoHandle: the process gets none.
struct StartHandle {
  abi::Handle source = abi::kNoHandle;
  uint32_t rights = 0;
  uint64_t badge = 0;
};

struct StartCapability {
  std::string_view name;  // the child finds it as "cap:NAME=VALUE" among its arguments
  StartHandle handle;
};

inline constexpr size_t kMaxStartCapabilities = 4;

struct ProcessSpec {
  uint64_t pid = 0;
  uint64_t node = 0;
  const abi::BootModuleTable* modules = nullptr;
  std::string_view module;
  abi::Handle pager_source = abi::kNoHandle;  // mm's endpoint, unbadged, kRightDuplicate
  abi::Handle death_notification = abi::kNoHandle;
  uint64_t death_bits = 0;
  uint32_t priority = abi::kPriorityDefault;
  uint32_t self_task_rights = abi::kRightRead | abi::kRightWrite;
  StartHandle names;
  StartHandle process_manager;
  StartHandle console;
  StartCapability capabilities[kMaxStartCapabilities];
  size_t capability_count = 0;
  const char* arguments = nullptr;  // argv[1..], packed NUL-terminated strings
  size_t argument_bytes = 0;
  uint32_t argument_count = 0;
  uint64_t page_quota = 0;   // 0: mm's default
  bool start_thread = true;  // false: the caller starts it (after sharing more pages in)
};

struct BuiltProcess {
  abi::Handle task;
  abi::Handle thread;
};

/// Writes the ProcessStart page of `task` (identity, the spec's handles and arguments) and
/// maps it read-only at abi::kProcessStartAddress.
Result<void> write_start_page(abi::Handle self, abi::Handle task, const ProcessSpec& spec,
                              const char** reason);

/// Builds the process and starts its first thread (unless spec.start_thread is false). `self` is
/// the caller's own task handle (kRightMemory, for the scratch page); `mm` a client with the system
/// badge. On failure nothing of the process remains and `*reason` says which step failed.
Result<BuiltProcess> build_process(abi::Handle self, protocols::mm::Client& mm,
                                   const ProcessSpec& spec, const char** reason);

}  // namespace atoll_os::servers
