// System-call numbers and the kernel-user data layouts they exchange; fixed layouts only.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::abi {

enum class Syscall : uint64_t {
#define ATOLL_SYSCALL(number, name, arguments) name = number,
#include "atoll/abi/syscalls.def"
#undef ATOLL_SYSCALL
};

inline constexpr uint64_t kSyscallCount = 96;  // table size; every number above is below it

/// Name of a system call, for logs; nullptr if the number is unassigned.
constexpr const char* syscall_name(uint64_t number) {
  switch (number) {
#define ATOLL_SYSCALL(n, name, arguments) \
  case n:                                 \
    return #name;
#include "atoll/abi/syscalls.def"
#undef ATOLL_SYSCALL
  }
  return nullptr;
}

inline constexpr uint64_t kForever = ~0ull;  // timeout_ns that never expires

using Handle = uint32_t;
inline constexpr Handle kNoHandle = 0;

/// Rights carried by a handle. A duplicate may only have a subset of its source's.
enum Rights : uint32_t {
  kRightRead = 1u << 0,       // receive on an endpoint, wait on a notification
  kRightWrite = 1u << 1,      // send/call on an endpoint, signal a notification
  kRightDuplicate = 1u << 2,  // may be duplicated
  kRightTransfer = 1u << 3,   // may be passed in a message
  kRightControl = 1u << 4,    // thread/task control: suspend, state, kill, create threads
  kRightMemory = 1u << 5,     // map, unmap, protect, read dirty bits of a task
  kRightsAll = 0x3f,
};

enum class ObjectType : uint32_t {
  kNone = 0,
  kEndpoint = 1,
  kNotification = 2,
  kTask = 3,
  kThread = 4,
  kIrq = 5,
  kIoPorts = 6,
  kDmaMemory = 7,
};

struct HandleInfo {
  ObjectType type;
  uint32_t rights;
  uint64_t badge;
  uint64_t object_id;  // stable while the object lives; equal ids mean the same object
};
static_assert(sizeof(HandleInfo) == 24);

/// HandleListEntry::flags.
inline constexpr uint32_t kHandleRevoked = 1u << 0;  // listed, but every use fails

/// One handle of a task, as task_handles lists it (object_id as in HandleInfo). Revoked
/// handles are listed too, flagged: they still hold their slot.
struct HandleListEntry {
  uint32_t value;
  ObjectType type;
  uint32_t rights;
  uint32_t flags;  // kHandleRevoked
  uint64_t badge;
  uint64_t object_id;
};
static_assert(sizeof(HandleListEntry) == 32);
inline constexpr uint64_t kTaskHandlesMax = 64;  // entries one task_handles call may return

/// A message: header plus payload, copied once by the kernel from sender to receiver.
inline constexpr size_t kMessagePayloadMax = 448;
inline constexpr size_t kMessageHandlesMax = 4;

enum MessageFlags : uint32_t {
  kMessageGrant = 1u << 0,  // map the sender's [grant_address, +grant_length) into the receiver
  kMessageGrantWritable = 1u << 1,
};

struct MessageHeader {
  uint64_t label;         // the protocol's operation or reply status
  uint32_t length;        // payload bytes used, <= kMessagePayloadMax
  uint32_t handle_count;  // handles[] used, <= kMessageHandlesMax
  uint32_t flags;         // MessageFlags
  uint32_t reserved;
  uint64_t badge;  // receive: badge of the handle the sender used (set by the kernel)
  Handle handles[kMessageHandlesMax];  // send: handles moved to the receiver; receive: new ones
  uint64_t grant_address;  // send: page-aligned range to grant; recv: window it may land in
  uint64_t grant_length;   // bytes, multiple of 4096; receive: bytes actually mapped
};
static_assert(sizeof(MessageHeader) == 64);

struct Message {
  MessageHeader header;
  uint8_t payload[kMessagePayloadMax];
};
static_assert(sizeof(Message) == 512);

/// Label of the message the kernel sends to a task's pager on a page fault (a call: the
/// faulting thread waits for the reply). Payload: PageFault. Badge: the pager handle's.
inline constexpr uint64_t kLabelPageFault = 0xfa010000;
/// Reply labels the pager may give: resolved (retry the access) or refused (kill the task).
inline constexpr uint64_t kLabelFaultResolved = 0;
inline constexpr uint64_t kLabelFaultRefused = 1;

enum PageFaultAccess : uint32_t {
  kFaultWrite = 1u << 0,
  kFaultExecute = 1u << 1,
  kFaultPresent = 1u << 2
};

struct PageFault {
  uint64_t address;
  uint64_t rip;
  uint32_t access;  // PageFaultAccess
  uint32_t reserved;
};
static_assert(sizeof(PageFault) == 24);

/// Mapping flags for vm_* calls.
enum VmFlags : uint32_t {
  kVmRead = 0,
  kVmWrite = 1u << 0,
  kVmExecute = 1u << 1,
  kVmUncached = 1u << 2,
};

/// The complete user-visible state of a thread: registers and FXSAVE area.
struct ThreadState {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rip, rflags, fs_base, gs_base;
  alignas(16) uint8_t fpu[512];  // FXSAVE layout: x87, MMX, SSE registers, MXCSR
};
static_assert(sizeof(ThreadState) == 160 + 512);

enum class TaskState : uint32_t { kRunning = 0, kExited = 1, kKilled = 2, kFaulted = 3 };

struct TaskStatus {
  TaskState state;
  uint32_t thread_count;
  int64_t exit_code;
  uint64_t fault_address;  // when kFaulted: the address of the unresolved fault
  uint64_t fault_rip;
  uint64_t pages_mapped;
};
static_assert(sizeof(TaskStatus) == 40);

/// ThreadStats::state. A suspended thread reads kSuspended whatever it was doing; a thread
/// whose suspension is pending (in the reply phase of a call) reads as what it does.
enum class ThreadRunState : uint32_t {
  kCreated = 0,  // made, never started
  kReady = 1,    // running or runnable
  kBlockedSend = 2,
  kBlockedReceive = 3,
  kBlockedReply = 4,
  kBlockedNotification = 5,
  kDead = 6,
  kSuspended = 7,
};

struct ThreadStats {
  uint64_t cpu_time_ns;
  uint64_t context_switches;
  uint32_t priority;
  uint32_t state;  // ThreadRunState
};
static_assert(sizeof(ThreadStats) == 24);

struct MemoryInfo {
  uint64_t total_frames;
  uint64_t free_frames;
  uint64_t user_frames;     // frames mapped into tasks
  uint64_t kernel_objects;  // live kernel objects (tasks, threads, endpoints, ...)
};
static_assert(sizeof(MemoryInfo) == 32);

/// The kernel's ABI version: grows with every incompatible change of this file.
inline constexpr uint32_t kKernelAbiVersion = 1;

/// What system_info reports. `load_milli` is the run-queue length (ready threads plus the
/// running one, the idle thread not counted) averaged with an exponential moving average of
/// time constant `load_window_ms`, sampled every timer tick, in thousandths.
struct SystemInfo {
  uint32_t abi_version;  // kKernelAbiVersion
  uint32_t runnable;     // the run-queue length now
  uint32_t load_milli;
  uint32_t load_window_ms;
};
static_assert(sizeof(SystemInfo) == 16);

inline constexpr uint32_t kPriorityCount = 32;  // 0 lowest (idle) .. 31 highest
inline constexpr uint32_t kPriorityDefault = 10;

/// Handles the kernel puts into init's table at boot, at these fixed values.
enum BootHandle : Handle {
  kBootSelfTask = 1,  // init's own task (all rights)
  kBootSelfThread = 2,
  kBootIrqBase = 16,  // kBootIrqBase + n: legacy IRQ line n (n < 16)
  kBootIoPorts = 32,  // every I/O port
  kBootDma = 33,      // may map contiguous memory and learn its physical address (drivers)
};

/// Where init finds the boot modules: a table the kernel maps read-only into init.
inline constexpr uint64_t kBootModuleTableAddress = 0x0000'7000'0000'0000;
struct BootModuleEntry {
  uint64_t address;  // where the module's bytes are mapped in init (read-only)
  uint64_t size;
  char name[48];
};
struct BootModuleTable {
  uint64_t count;
  char command_line[248];
  BootModuleEntry modules[31];
};
static_assert(sizeof(BootModuleTable) <= 4096);

}  // namespace atoll_os::abi
