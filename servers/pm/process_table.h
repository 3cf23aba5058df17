// pm's table of processes: global PIDs, live processes, and ended ones until waited for.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/abi/syscalls.h"
#include "atoll/protocols/pm.h"
#include "atoll/result.h"

namespace atoll_os::servers::pm {

inline constexpr size_t kMaxProcesses = 128;  // live ones and ended ones not yet forgotten
/// Live children one process may have: a fork bomb stops here, not at the table's end.
inline constexpr size_t kMaxChildrenPerParent = 32;
/// Death notifications carry one bit per slot modulo 63 (a notification has bits 0-62): a
/// bit names up to three slots, and the reaper asks the kernel which of them ended.
inline constexpr size_t kDeathBits = 63;

/// kIncoming: a process migrating here, prepared but not committed (migration.cpp); only
/// find_any() and the migration operations see it: it is not listed, waited for or reaped.
enum class Phase : uint8_t { kFree, kLive, kEnded, kIncoming };

/// Where a process stands in a migration (docs/migration.md): on the source a live process
/// is kFrozen from migrate_freeze until thawed or released; on the destination a kIncoming
/// one is kPrepared until its slice is kInstalled, then live at commit.
enum class Migration : uint8_t { kNone, kFrozen, kPrepared, kInstalled };

struct Process {
  uint64_t pid;
  uint64_t parent;  // the spawner's PID; 0 for processes init started
  char name[protocols::pm::kProcessNameMax];
  Phase phase;
  bool privileged;
  bool adopted;  // started by init: pm gets no death notification for it
  abi::Handle task;
  abi::Handle thread;
  abi::Handle waiter;  // notification signalled with kWaitBit when it ends; 0: none
  abi::TaskState state;
  int64_t exit_code;
  uint64_t fault_address;
  uint64_t ended_order;  // the older ended records go first when the table is full
  uint32_t priority;     // its thread's (0 for the processes init started)
  Migration migration;
  uint64_t migration_id;  // the migration that prepared an incoming process
  /// The CPU features it may rely on: its first node's, kept across migrations.
  protocols::pm::CpuFeatures cpu_features;
};

class ProcessTable {
 public:
  explicit ProcessTable(uint64_t node) : node_(node) {}

  /// A new live process with the next PID of this node, spawned by `parent`. kOutOfMemory
  /// if `parent` has kMaxChildrenPerParent live children already, or if every slot holds a
  /// live process (ended records are forgotten, oldest first, to make room).
  Result<Process*> create(uint64_t parent, std::string_view name, bool privileged);
  /// A live entry for a process init started (its PID chosen by init). kAlreadyExists.
  Result<Process*> adopt(uint64_t pid, std::string_view name);

  /// A process migrating here with the PID it was given at its origin, not live until
  /// commit(). kAlreadyExists if the PID is known; kOutOfMemory if every slot holds a live
  /// or incoming process.
  Result<Process*> import(uint64_t pid, uint64_t parent, std::string_view name, bool privileged);
  /// An incoming process is live from now on (counted as started here).
  void commit(Process& process);

  /// A live or ended process (not an incoming one).
  Process* find(uint64_t pid);
  /// Any process this table holds, incoming ones included.
  Process* find_any(uint64_t pid);
  /// Marks a live process ended with its final status.
  void end(Process& process, abi::TaskState state, int64_t exit_code, uint64_t fault_address);
  /// Forgets an ended process (once waited for, or to make room).
  void release(Process& process);
  /// Forgets a process whose start failed, as if it had never been created: it is not
  /// counted as started (its PID is not handed out again either).
  void abandon(Process& process);

  /// The death-notification bit of a process's slot.
  uint64_t death_bit(const Process& process) const;
  /// Calls f(Process&) for every live, non-adopted process whose death bit is in `bits`.
  template <typename F>
  void for_each_signalled(uint64_t bits, F&& f) {
    for (size_t i = 0; i < kMaxProcesses; ++i) {
      Process& p = slots_[i];
      if (p.phase == Phase::kLive && !p.adopted && (bits & (1ull << (i % kDeathBits)))) f(p);
    }
  }
  template <typename F>
  void for_each_live(F&& f) {
    for (Process& p : slots_) {
      if (p.phase == Phase::kLive) f(p);
    }
  }

  /// Up to `max` processes with a PID above `after`, in PID order; the count found.
  size_t list(uint64_t after, Process** out, size_t max);
  size_t live_children(uint64_t parent) const;

  uint64_t node() const { return node_; }
  uint64_t started() const { return started_; }
  uint64_t ended() const { return ended_; }
  size_t live() const;

 private:
  Process* free_slot();

  uint64_t node_;
  uint64_t next_serial_ = protocols::pm::kFirstSpawnSerial;
  uint64_t started_ = 0;
  uint64_t ended_ = 0;
  Process slots_[kMaxProcesses] = {};
};

/// Process events for the console server, bounded: when full, the oldest is dropped and
/// counted, so a console that stops reading costs pm nothing.
class EventQueue {
 public:
  static constexpr size_t kCapacity = 32;

  void push(const protocols::pm::EventReply& event);
  /// The oldest event, with `dropped` set to the events lost before it; kind kNone if empty.
  protocols::pm::EventReply pop();
  size_t size() const { return size_; }
  uint64_t dropped_total() const { return dropped_total_; }

 private:
  protocols::pm::EventReply events_[kCapacity] = {};
  size_t head_ = 0;
  size_t size_ = 0;
  uint64_t dropped_ = 0;
  uint64_t dropped_total_ = 0;
};

}  // namespace atoll_os::servers::pm
