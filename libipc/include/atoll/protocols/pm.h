// The process manager protocol: start, wait for, kill and list processes; global PIDs.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::pm {

inline constexpr uint16_t kProtocolId = kProcessProtocol;

// A PID is assigned once, on the node a process starts on, and never changes: the origin
// node in the top 16 bits, a serial below. Nodes stay below 2^15 (bit 63 is kSystemBadge).
inline constexpr uint32_t kNodeShift = 48;
inline constexpr uint64_t kSerialMask = (1ull << kNodeShift) - 1;
inline constexpr uint64_t kMaxNode = 0x7fff;
constexpr uint64_t make_pid(uint64_t node, uint64_t serial) {
  return (node << kNodeShift) | (serial & kSerialMask);
}
constexpr uint64_t pid_node(uint64_t pid) {
  return pid >> kNodeShift;
}
constexpr uint64_t pid_serial(uint64_t pid) {
  return pid & kSerialMask;
}
// Serials of the processes that exist before pm hands out any.
inline constexpr uint64_t kInitSerial = 1;
inline constexpr uint64_t kMemoryManagerSerial = 2;
inline constexpr uint64_t kProcessManagerSerial = 3;
inline constexpr uint64_t kFirstSpawnSerial = 4;

/// Badge of pm's handle to its own endpoint, used only by its reaper thread.
inline constexpr uint64_t kReaperBadge = kSystemBadge | 1;

inline constexpr size_t kModuleNameMax = 32;
inline constexpr size_t kCapabilityNameMax = 16;
inline constexpr size_t kProcessNameMax = 16;

enum SpawnFlags : uint32_t {
  // The child may kill any process and read events, and its own task handle has
  // kRightControl (it may create threads). Only the system badge may ask for it.
  kSpawnPrivileged = 1u << 0,
};

struct SpawnRequest {
  char module[kModuleNameMax];  // boot module name, NUL-terminated
  uint32_t priority;            // 0: abi::kPriorityDefault
  uint32_t flags;               // SpawnFlags
  uint32_t argument_count;      // strings in `arguments` (argv[1..]; argv[0] is the module)
  uint32_t argument_bytes;      // bytes of `arguments` used, NULs included
  char capability_names[abi::kMessageHandlesMax][kCapabilityNameMax];
  char arguments[336];
};
static_assert(sizeof(SpawnRequest) == abi::kMessagePayloadMax);

struct SpawnReply {
  uint64_t pid;
};
static_assert(sizeof(SpawnReply) == 8);

struct PidRequest {
  uint64_t pid;
};
static_assert(sizeof(PidRequest) == 8);

inline constexpr uint64_t kWaitBit = 1;

struct WaitReply {
  uint64_t pid;
  abi::TaskState state;
  uint32_t reserved;
  int64_t exit_code;
  uint64_t fault_address;  // state kFaulted: the address mm refused
};
static_assert(sizeof(WaitReply) == 32);

struct KillRequest {
  uint64_t pid;
  int64_t code;
};
static_assert(sizeof(KillRequest) == 16);

struct ListRequest {
  uint64_t after_pid;
};
static_assert(sizeof(ListRequest) == 8);

struct ProcessEntry {
  uint64_t pid;
  uint64_t parent;  // PID of the spawner; 0 for processes init started
  char name[kProcessNameMax];
  abi::TaskState state;
  uint32_t thread_count;
  uint64_t resident_pages;
  uint64_t cpu_time_ns;
  int64_t exit_code;
};
static_assert(sizeof(ProcessEntry) == 64);

inline constexpr size_t kListMax = 6;
struct ListReply {
  uint32_t count;
  uint32_t more;  // nonzero: ask again with after_pid = the last PID here
  ProcessEntry entries[kListMax];
};
static_assert(sizeof(ListReply) == 392);

struct StatsReply {
  uint64_t uptime_ns;
  uint64_t processes_live;
  uint64_t processes_started;
  uint64_t processes_ended;
  uint64_t cpu_time_ns;       // of the live processes' threads
  uint64_t context_switches;  // of the live processes' threads
  uint64_t events_dropped;
  uint64_t migrating;  // processes frozen here to leave: outgoing migrations in flight
};
static_assert(sizeof(StatsReply) == 64);

inline constexpr uint64_t kEventBit = 1ull << 1;

enum class EventKind : uint32_t { kNone = 0, kEnded = 1 };

struct EventReply {
  EventKind kind;
  abi::TaskState state;
  uint64_t pid;
  int64_t exit_code;
  uint64_t fault_address;
  uint64_t dropped;  // events lost to a full queue since the last one read
  char name[kProcessNameMax];
};
static_assert(sizeof(EventReply) == 56);

struct AdoptRequest {
  char name[kProcessNameMax];
  uint64_t pid;
};
static_assert(sizeof(AdoptRequest) == 24);

struct ReapRequest {
  uint64_t bits;
};
static_assert(sizeof(ReapRequest) == 8);

/// pm hands a spawn's capabilities to the child as trailing arguments "cap:NAME=HANDLE"
/// (decimal handle value in the child's table), after the arguments the spawner gave.
inline constexpr char kCapabilityPrefix[] = "cap:";
inline constexpr size_t kCapabilityPrefixLength = sizeof(kCapabilityPrefix) - 1;

/// The handle value in `argument` if it is "cap:NAME=HANDLE" for this `name`, else kNoHandle.
constexpr Handle capability_argument(const char* argument, const char* name) {
  for (size_t i = 0; i < kCapabilityPrefixLength; ++i) {
    if (argument[i] != kCapabilityPrefix[i]) return kNoHandle;
  }
  const char* p = argument + kCapabilityPrefixLength;
  for (; *name != '\0'; ++p, ++name) {
    if (*p != *name) return kNoHandle;
  }
  if (*p++ != '=' || *p == '\0') return kNoHandle;
  uint64_t value = 0;
  for (; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return kNoHandle;
    value = value * 10 + static_cast<uint64_t>(*p - '0');
    if (value > 0xffffffffu) return kNoHandle;
  }
  return static_cast<Handle>(value);
}

/// The capability `name` among a program's arguments, or kNoHandle.
constexpr Handle find_capability(int argc, char* const* argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (Handle h = capability_argument(argv[i], name); h != kNoHandle) return h;
  }
  return kNoHandle;
}

// ---- Migration (docs/migration.md): the process slice, sent by pm to pm over TCP. Every
// migration operation is for privileged callers (migm) only.

/// CPU feature flags as CPUID reports them: leaf 1 (ecx, edx) and leaf 7 subleaf 0 (ebx,
/// ecx). pm records per process the features it may rely on: those of the node it started
/// on; the record travels with the process (DescribeReply, PrepareRequest), so a process
/// never lands on a node lacking one (migm refuses it, naming them; docs/trader.md).
struct CpuFeatures {
  uint32_t leaf1_ecx;
  uint32_t leaf1_edx;
  uint32_t leaf7_ebx;
  uint32_t leaf7_ecx;
};
static_assert(sizeof(CpuFeatures) == 16);

struct FreezeReply {
  uint32_t threads;  // threads stopped
  uint32_t reserved;
  uint64_t resident_pages;
  uint64_t page_quota;
};
static_assert(sizeof(FreezeReply) == 24);

/// Destination side: what to prepare for a process that is coming.
struct PrepareRequest {
  uint64_t pid;
  uint64_t migration_id;
  uint64_t parent;
  uint64_t page_quota;
  uint32_t priority;
  uint32_t flags;  // SpawnFlags the process had (kSpawnPrivileged)
  char name[kProcessNameMax];
  uint64_t resident_pages;  // what the memory slice will bring (DescribeReply's)
  CpuFeatures features;     // what the process may rely on (DescribeReply's)
};
static_assert(sizeof(PrepareRequest) == 80);

/// Source side: where the process slice goes (pm at `destination_ip`, network byte order).
struct SliceRequest {
  uint64_t pid;
  uint64_t migration_id;
  uint32_t destination_ip;
  uint32_t reserved;
};
static_assert(sizeof(SliceRequest) == 24);

struct SliceReply {
  uint64_t bytes_sent;
  uint64_t elapsed_ns;
  uint32_t threads;
  uint32_t handles;
};
static_assert(sizeof(SliceReply) == 24);

/// What migm needs to know of a process it is asked to move.
struct DescribeReply {
  uint64_t pid;
  uint64_t parent;
  uint64_t resident_pages;
  uint64_t page_quota;
  uint32_t priority;
  uint32_t flags;  // SpawnFlags
  char name[kProcessNameMax];
  CpuFeatures features;   // what the process may rely on: pm's record
  uint64_t ipcm_session;  // the badge of its session with ipcm, 0 if it has none
};
static_assert(sizeof(DescribeReply) == 80);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/pm.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::pm
