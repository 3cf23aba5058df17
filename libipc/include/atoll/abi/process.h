// The layout of a user process: where its image, heap, stack and start information live.
#pragma once

#include <stdint.h>

#include "atoll/abi/syscalls.h"

namespace atoll_os::abi {

inline constexpr uint64_t kUserImageBase = 0x0000'0000'0040'0000;  // programs link here
inline constexpr uint64_t kUserHeapBase = 0x0000'0000'1000'0000;   // demand-zero heap
inline constexpr uint64_t kUserHeapLimit = 0x0000'0000'5000'0000;  // 1 GiB of heap at most
inline constexpr uint64_t kUserStackTop = 0x0000'7fff'ffff'0000;
inline constexpr uint64_t kUserStackSize = 1024 * 1024;  // demand-zero below kUserStackTop
inline constexpr uint64_t kUserSpaceEnd = 0x0000'8000'0000'0000;

/// One read-only page the process manager maps at kProcessStartAddress before the first
/// instruction; the entry point gets its address in rdi.
inline constexpr uint64_t kProcessStartAddress = 0x0000'7fff'f000'0000;
inline constexpr uint32_t kProcessStartMagic = 0x41544f4c;  // "ATOL"

struct ProcessStart {
  uint32_t magic;
  uint32_t argc;
  uint64_t pid;            // global PID: origin node in the top 16 bits, serial below
  uint64_t node;           // the node the process started on
  Handle self_task;        // the process's own task (no memory or control rights)
  Handle names;            // endpoint of the name service
  Handle process_manager;  // endpoint of pm (exit, wait, spawn)
  Handle console;          // endpoint the process's output goes to (ctl); 0: kernel log
  char arguments[3072];    // argc NUL-terminated strings, back to back
};
static_assert(sizeof(ProcessStart) <= 4096);

}  // namespace atoll_os::abi
