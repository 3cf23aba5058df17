// The residual tables: bounded, by migration id (source) and by pid (destination).
#include "residual.h"

namespace atoll_os::servers::mm {

using protocols::mm::ResidualState;
using protocols::mm::ResidualStatus;

Result<Residual*> ResidualTable::open(uint64_t migration_id, uint64_t pid, abi::Handle holder,
                                      const PageMap& map, uint64_t now_ns) {
  Residual* slot = nullptr;
  for (Residual& entry : entries_) {
    if (entry.used && entry.state == ResidualState::kServing) continue;
    if (slot == nullptr || !entry.used || (slot->used && entry.ended_ns < slot->ended_ns)) {
      slot = &entry;
    }
    if (!entry.used) break;
  }
  if (slot == nullptr) return Err(Error::kBusy);
  slot->used = true;
  slot->state = ResidualState::kServing;
  slot->migration_id = migration_id;
  slot->pid = pid;
  slot->holder = holder;
  slot->map = map;
  slot->served = 0;
  slot->remote_faults = 0;
  slot->remote_fault_ns = 0;
  slot->started_ns = now_ns;
  slot->ended_ns = 0;
  slot->final = false;
  return slot;
}

Residual* ResidualTable::find(uint64_t migration_id) {
  for (Residual& entry : entries_) {
    if (entry.used && entry.migration_id == migration_id) return &entry;
  }
  return nullptr;
}

abi::Handle ResidualTable::finish(Residual& residual, uint64_t now_ns) {
  if (residual.state != ResidualState::kServing) return abi::kNoHandle;
  residual.state = ResidualState::kDone;
  residual.ended_ns = now_ns;
  residual.map.clear();
  abi::Handle holder = residual.holder;
  residual.holder = abi::kNoHandle;
  return holder;
}

ResidualStatus ResidualTable::status(uint64_t migration_id, uint64_t now_ns) {
  ResidualStatus status{};
  status.migration_id = migration_id;
  Residual* entry = find(migration_id);
  if (entry == nullptr) return status;  // kNone
  // Every page gone but the destination's last word (its fault counts) still to come: serving.
  status.state = entry->state == ResidualState::kDone && !entry->final ? ResidualState::kServing
                                                                       : entry->state;
  status.pages_held = entry->map.left();
  status.pages_served = entry->served;
  status.remote_faults = entry->remote_faults;
  status.remote_fault_ns = entry->remote_fault_ns;
  uint64_t end = entry->state == ResidualState::kDone ? entry->ended_ns : now_ns;
  status.held_ns = end > entry->started_ns ? end - entry->started_ns : 0;
  return status;
}

size_t ResidualTable::serving() const {
  size_t n = 0;
  for (const Residual& entry : entries_) n += entry.used && entry.state == ResidualState::kServing;
  return n;
}

Result<size_t> LazyTable::open(uint64_t pid, uint64_t migration_id, uint32_t source_ip, bool push,
                               abi::Handle task, const PageRun* runs, size_t run_count) {
  size_t free = kMaxLazySpaces;
  for (size_t i = 0; i < kMaxLazySpaces; ++i) {
    if (entries_[i].used && entries_[i].pid == pid) return Err(Error::kAlreadyExists);
    if (!entries_[i].used && free == kMaxLazySpaces) free = i;
  }
  if (free == kMaxLazySpaces) return Err(Error::kBusy);
  LazySpace& entry = entries_[free];
  entry.map.clear();
  for (size_t i = 0; i < run_count; ++i) TRY(entry.map.add(runs[i]));
  entry.used = true;
  entry.push = push;
  entry.pushing = false;
  entry.ending = false;
  entry.broken = false;
  entry.store = false;
  entry.pid = pid;
  entry.migration_id = migration_id;
  entry.source_ip = source_ip;
  entry.task = task;
  entry.remote_faults = 0;
  entry.remote_fault_ns = 0;
  entry.cursor = 0;
  return free;
}

size_t LazyTable::find(uint64_t pid) const {
  for (size_t i = 0; i < kMaxLazySpaces; ++i) {
    if (entries_[i].used && !entries_[i].ending && entries_[i].pid == pid) return i;
  }
  return kMaxLazySpaces;
}

abi::Handle LazyTable::close(size_t index) {
  LazySpace& entry = entries_[index];
  abi::Handle task = entry.task;
  entry.used = false;
  entry.ending = false;
  entry.task = abi::kNoHandle;
  entry.map.clear();
  return task;
}

}  // namespace atoll_os::servers::mm
