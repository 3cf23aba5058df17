// The process slice of a migration: what pm on the source sends pm on the destination (the
// process's identity, its thread's state and its handle table), and its versioned wire format.
//
// The body follows a SliceHeader (servers/lib/slice_channel.h, kind kProcess). Every field is
// little-endian at a fixed place, written and read byte by byte; a decoder fed anything else
// returns kBadFormat or kTruncated and never reads past its input.
//
//   offset size  field
//   0      4     format           kProcessSliceFormat
//   4      4     thread_count     1..kSliceThreadsMax
//   8      4     handle_count     0..kSliceHandlesMax
//   12     4     reserved         0
//   16     8     pid
//   24     8     parent
//   32     4     priority         < abi::kPriorityCount
//   36     4     flags            SpawnFlags
//   40     16    name             NUL-terminated
//   56     ...   thread_count × thread state (kThreadStateWireSize bytes each):
//                  rax rbx rcx rdx rsi rdi rbp rsp r8..r15 rip rflags fs_base gs_base (8 each,
//                  that order), then the 512-byte FXSAVE area
//   ...    ...   handle_count × handle (kHandleWireSize bytes each), values increasing:
//                  value u32, kind u8, reserved u8[3] (0), rights u32, object u32, badge u64,
//                  source_object u64
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/pm.h"
#include "atoll/result.h"

namespace atoll_os::servers::pm {

inline constexpr uint32_t kProcessSliceFormat = 2;
inline constexpr size_t kSliceThreadsMax = 16;
inline constexpr size_t kSliceHandlesMax = 256;
inline constexpr size_t kSliceFixedSize = 56;
inline constexpr size_t kThreadStateWireSize = 20 * 8 + 512;
inline constexpr size_t kHandleWireSize = 32;

/// What a handle of a migrating process refers to, as far as pm can move it.
enum class SliceHandleKind : uint8_t {
  kSelfTask = 1,         // the process's own task
  kNames = 2,            // this node's name service, badged with the PID
  kProcessManager = 3,   // pm's endpoint, badged with the PID
  kConsole = 4,          // the console endpoint, badged with the PID
  kOwnNotification = 5,  // a notification (recreated fresh on the destination)
  kOwnEndpoint = 6,      // an endpoint the process receives on (recreated fresh)
  kIpcmSession = 7,      // its session with ipcm (the destination's ipcm makes another)
  kRevoked = 8,          // a revoked handle (a cut direct path): it stays revoked there
};
inline constexpr uint8_t kSliceHandleKindLast = uint8_t(SliceHandleKind::kRevoked);

struct SliceHandle {
  uint32_t value;  // the handle's value (slot and generation) in the process's table
  SliceHandleKind kind;
  uint32_t rights;
  /// Own objects: the handles with the same `object` share one object on the destination
  /// too (numbered 0, 1, ... in order of first appearance); 0 for the other kinds.
  uint32_t object;
  uint64_t badge;  // own objects: the badge the handle carries
  /// Own objects: the object's HandleInfo::object_id on the source, by which the
  /// destination's ipcm finds the object it made for a port (0 for the other kinds).
  uint64_t source_object;
};

struct ProcessSlice {
  uint64_t pid;
  uint64_t parent;
  uint32_t priority;
  uint32_t flags;  // protocols::pm::SpawnFlags
  char name[protocols::pm::kProcessNameMax];
  uint32_t thread_count;
  uint32_t handle_count;
  abi::ThreadState threads[kSliceThreadsMax];
  SliceHandle handles[kSliceHandlesMax];
};

/// Bytes encode() writes for `slice`.
size_t encoded_size(const ProcessSlice& slice);
/// Largest body any valid slice has: a receiver refuses a header announcing more.
inline constexpr size_t kSliceBodyMax =
    kSliceFixedSize + kSliceThreadsMax * kThreadStateWireSize + kSliceHandlesMax * kHandleWireSize;

/// Writes `slice` into `out`; the bytes written. kOutOfRange if `out` is too small,
/// kInvalidArgument if the slice breaks a rule decode() checks.
Result<size_t> encode(const ProcessSlice& slice, std::span<uint8_t> out);
/// Reads a whole body (trailing bytes are an error). kTruncated if `in` ends early,
/// kBadFormat for anything decode does not accept; `*reason` (if given) says what.
Result<void> decode(std::span<const uint8_t> in, ProcessSlice& out, const char** reason = nullptr);

}  // namespace atoll_os::servers::pm
