// IPC benchmark: the guest program `ipcbench`, run as init, once under `-icount shift=0`
// (TSC ticks are guest instructions there) and once under plain TCG (for nanoseconds).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "hostlib/host_result.h"
#include "hostlib/node_config.h"

namespace atoll_os::host {

/// What one ipcbench boot printed: medians over its samples.
struct IpcSample {
  uint64_t null_syscall_ticks = 0;
  uint64_t roundtrip_ticks = 0;
  uint64_t roundtrip_ns = 0;
};

/// The figures `tools/atoll bench ipc` reports.
struct IpcBenchResult {
  std::string accel;
  uint64_t roundtrip_instructions = 0;     // median, under -icount shift=0
  uint64_t null_syscall_instructions = 0;  // median, under -icount shift=0
  uint64_t roundtrip_ns = 0;               // mean over 20,000 calls, plain TCG
};

/// Boots `base` with init=ipcbench; with `instruction_count` QEMU runs -icount shift=0.
HostResult<IpcSample> measure_ipc(const NodeConfig& base, bool instruction_count,
                                  std::chrono::milliseconds timeout);

/// results.json with the keys roundtrip_instructions, roundtrip_ns,
/// null_syscall_instructions and accel.
std::string ipc_bench_json(const IpcBenchResult& result);
HostResult<std::filesystem::path> write_ipc_bench(const IpcBenchResult& result,
                                                  const std::filesystem::path& dir);

}  // namespace atoll_os::host
