// The memory manager protocol: pm (and init) describe address spaces; mm pages them in.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/protocol.h"

namespace atoll_os::protocols::mm {

inline constexpr uint16_t kProtocolId = kMemoryProtocol;

struct CreateSpaceRequest {
  uint64_t pid;
  uint64_t page_quota;  // most pages mm maps for this space; 0: mm's default
};
static_assert(sizeof(CreateSpaceRequest) == 16);

enum class RegionKind : uint32_t {
  kZero = 0,   // demand-zero: heap, stack, bss
  kImage = 1,  // [data_vaddr, +data_size) from module bytes at data_offset, the rest zero
};

/// One region of a space. start and length are page-aligned; regions never overlap.
struct RegionRequest {
  uint64_t pid;
  uint64_t start;
  uint64_t length;
  uint64_t data_vaddr;   // kImage: where the module bytes begin (inside the region)
  uint64_t data_offset;  // kImage: their offset in the module
  uint64_t data_size;    // kImage: how many bytes (the ELF segment's file size)
  uint32_t flags;        // abi::VmFlags of the pages
  RegionKind kind;
  uint32_t module;  // kImage: index in the boot module table
  uint32_t reserved;
};
static_assert(sizeof(RegionRequest) == 64);

struct PidRequest {
  uint64_t pid;
};
static_assert(sizeof(PidRequest) == 8);

struct DestroyReply {
  uint64_t pages_released;  // pages mm had mapped and still accounted to the space
};
static_assert(sizeof(DestroyReply) == 8);

struct SpaceInfo {
  uint64_t resident_pages;  // pages mm mapped into the space
  uint64_t page_quota;
  uint64_t faults_resolved;
  uint64_t faults_refused;
  uint64_t last_refused_address;
  uint32_t region_count;
  uint32_t reserved;
};
static_assert(sizeof(SpaceInfo) == 48);

struct Stats {
  abi::MemoryInfo kernel;
  uint64_t spaces;
  uint64_t resident_pages;  // sum over spaces
  uint64_t faults_resolved;
  uint64_t faults_refused;
};
static_assert(sizeof(Stats) == 64);

// ---- Migration (docs/migration.md): the memory slice, sent by mm to mm over TCP.

/// What a memory slice carries (docs/strategies.md).
enum class SendMode : uint32_t {
  kWhole = 0,  // eager: regions and every present page, into an empty prepared space
  // precopy, the process running: clears the dirty bits, then regions and every present page
  kPrecopyFirst = 1,
  // precopy: regions and the pages dirtied since the last round, over the earlier rounds'
  // pages (the last round, frozen, too)
  kPrecopyDirty = 2,
  // lazy: regions and the page map only (which pages exist here); mm keeps the pages of the
  // frozen process and serves them to the destination's mm until fetched or no longer needed
  kLazy = 3,
  // postcopy: kLazy, and the pages are sent on in the background, the recently written first
  kPostcopy = 4,
  // flush (Sprite), frozen: every resident page to the page store at store_ip, then the page
  // map with every page marked "in the store"; the destination faults them from the store
  kFlush = 5,
  // eager-dirty (MOSIX), running: clears the dirty bits, then every resident page to the
  // page store (no slice to the destination)
  kStoreSave = 6,
  // eager-dirty, frozen: the pages dirtied since kStoreSave (or not saved by it) to the
  // destination, the others marked "in the store" in the page map
  kEagerDirty = 7,
  // undo of kFlush / kStoreSave before commit: the store forgets the process's pages
  kStoreDrop = 8,
};

/// Whether a send of `mode` talks to the page store (and so needs its address).
constexpr bool uses_store(SendMode mode) {
  return mode == SendMode::kFlush || mode == SendMode::kStoreSave ||
         mode == SendMode::kEagerDirty || mode == SendMode::kStoreDrop;
}

/// Where the memory slice of a process goes: mm on the node at `destination_ip` (network
/// byte order), which must have a space for `pid` prepared (create_space) and empty (or, for
/// kPrecopyDirty, filled by the earlier rounds of this migration). `store_ip` (network byte
/// order): the page store's node, for kFlush, kStoreSave, kEagerDirty and kStoreDrop (0
/// otherwise).
struct SpaceSendRequest {
  uint64_t pid;
  uint64_t migration_id;
  uint32_t destination_ip;
  SendMode mode;
  uint32_t store_ip;
  uint32_t reserved;  // 0
};
static_assert(sizeof(SpaceSendRequest) == 32);

/// The bit space_send's notification gets when the send has ended (done or failed).
inline constexpr uint64_t kSliceDoneBit = 1;

struct MigrationRequest {
  uint64_t migration_id;
};
static_assert(sizeof(MigrationRequest) == 8);

enum class SliceState : uint32_t { kNone = 0, kRunning = 1, kDone = 2, kFailed = 3 };

/// How a slice transfer went, as its sender saw it (kDone: the receiver acknowledged it all).
struct SliceStatus {
  SliceState state;
  int32_t error;  // Error when kFailed
  uint64_t migration_id;
  uint64_t bytes_sent;  // on the wire, headers included
  uint64_t pages_sent;
  uint64_t elapsed_ns;  // from the start of the send to the receiver's acknowledgement
  char reason[48];      // when kFailed: why, for the migration record
};
static_assert(sizeof(SliceStatus) == 88);

enum class ResidualState : uint32_t { kNone = 0, kServing = 1, kDone = 2 };

struct DirtySample {
  uint64_t dirty_pages;     // written since the last take of the dirty bits
  uint64_t resident_pages;  // mapped now
  uint64_t region_pages;    // the address space: every page of every region
};
static_assert(sizeof(DirtySample) == 24);

/// The residual dependency of a lazy or postcopy migration, as the source's mm sees it.
struct ResidualStatus {
  ResidualState state;
  uint32_t reserved;
  uint64_t migration_id;
  uint64_t pages_held;       // still here, waiting to be fetched
  uint64_t pages_served;     // sent to the destination since commit
  uint64_t remote_faults;    // the destination's faults served from here (it reports them)
  uint64_t remote_fault_ns;  // their summed wait at the destination
  uint64_t held_ns;          // from the memory slice to freeing everything (or until now)
};
static_assert(sizeof(ResidualStatus) == 56);

#define ATOLL_PROTOCOL_DEF "atoll/protocols/mm.def"
#include "atoll/protocols/protocol_codegen.h"

}  // namespace atoll_os::protocols::mm
