// PID allocation, slots, per-parent limits and the event queue of pm.
#include "process_table.h"

namespace atoll_os::servers::pm {
namespace {

void set_name(Process& p, std::string_view name) {
  size_t n = name.size() < sizeof(p.name) - 1 ? name.size() : sizeof(p.name) - 1;
  __builtin_memcpy(p.name, name.data(), n);
  p.name[n] = '\0';
}

}  // namespace

Process* ProcessTable::free_slot() {
  Process* oldest_ended = nullptr;
  for (Process& p : slots_) {
    if (p.phase == Phase::kFree) return &p;
    if (p.phase == Phase::kEnded &&
        (oldest_ended == nullptr || p.ended_order < oldest_ended->ended_order)) {
      oldest_ended = &p;
    }
  }
  if (oldest_ended != nullptr) release(*oldest_ended);
  return oldest_ended;
}

Result<Process*> ProcessTable::create(uint64_t parent, std::string_view name, bool privileged) {
  if (parent != 0 && live_children(parent) >= kMaxChildrenPerParent) {
    return Err(Error::kOutOfMemory);
  }
  Process* p = free_slot();
  if (p == nullptr) return Err(Error::kOutOfMemory);
  *p = Process{};
  p->pid = protocols::pm::make_pid(node_, next_serial_++);
  p->parent = parent;
  set_name(*p, name);
  p->phase = Phase::kLive;
  p->privileged = privileged;
  p->state = abi::TaskState::kRunning;
  ++started_;
  return p;
}

Result<Process*> ProcessTable::adopt(uint64_t pid, std::string_view name) {
  if (find(pid) != nullptr) return Err(Error::kAlreadyExists);
  Process* p = free_slot();
  if (p == nullptr) return Err(Error::kOutOfMemory);
  *p = Process{};
  p->pid = pid;
  set_name(*p, name);
  p->phase = Phase::kLive;
  p->privileged = true;
  p->adopted = true;
  p->state = abi::TaskState::kRunning;
  return p;
}

Result<Process*> ProcessTable::import(uint64_t pid, uint64_t parent, std::string_view name,
                                      bool privileged) {
  if (find_any(pid) != nullptr) return Err(Error::kAlreadyExists);
  Process* p = free_slot();
  if (p == nullptr) return Err(Error::kOutOfMemory);
  *p = Process{};
  p->pid = pid;
  p->parent = parent;
  set_name(*p, name);
  p->phase = Phase::kIncoming;
  p->privileged = privileged;
  p->state = abi::TaskState::kRunning;
  return p;
}

void ProcessTable::commit(Process& process) {
  process.phase = Phase::kLive;
  process.migration = Migration::kNone;
  ++started_;
}

Process* ProcessTable::find(uint64_t pid) {
  Process* p = find_any(pid);
  return p != nullptr && p->phase != Phase::kIncoming ? p : nullptr;
}

Process* ProcessTable::find_any(uint64_t pid) {
  for (Process& p : slots_) {
    if (p.phase != Phase::kFree && p.pid == pid) return &p;
  }
  return nullptr;
}

void ProcessTable::end(Process& process, abi::TaskState state, int64_t exit_code,
                       uint64_t fault_address) {
  process.phase = Phase::kEnded;
  process.state = state;
  process.exit_code = exit_code;
  process.fault_address = fault_address;
  process.task = abi::kNoHandle;
  process.thread = abi::kNoHandle;
  process.waiter = abi::kNoHandle;
  process.ended_order = ++ended_;
}

void ProcessTable::release(Process& process) {
  process = Process{};
}

void ProcessTable::abandon(Process& process) {
  --started_;
  release(process);
}

uint64_t ProcessTable::death_bit(const Process& process) const {
  size_t slot = static_cast<size_t>(&process - slots_);
  return 1ull << (slot % kDeathBits);
}

size_t ProcessTable::list(uint64_t after, Process** out, size_t max) {
  size_t found = 0;
  uint64_t floor = after;
  while (found < max) {
    Process* next = nullptr;
    for (Process& p : slots_) {
      bool listed = p.phase == Phase::kLive || p.phase == Phase::kEnded;
      if (listed && p.pid > floor && (next == nullptr || p.pid < next->pid)) {
        next = &p;
      }
    }
    if (next == nullptr) break;
    out[found++] = next;
    floor = next->pid;
  }
  return found;
}

size_t ProcessTable::live_children(uint64_t parent) const {
  size_t count = 0;
  for (const Process& p : slots_) count += p.phase == Phase::kLive && p.parent == parent;
  return count;
}

size_t ProcessTable::live() const {
  size_t count = 0;
  for (const Process& p : slots_) count += p.phase == Phase::kLive;
  return count;
}

void EventQueue::push(const protocols::pm::EventReply& event) {
  if (size_ == kCapacity) {
    head_ = (head_ + 1) % kCapacity;
    --size_;
    ++dropped_;
    ++dropped_total_;
  }
  events_[(head_ + size_) % kCapacity] = event;
  ++size_;
}

protocols::pm::EventReply EventQueue::pop() {
  protocols::pm::EventReply event{};
  if (size_ == 0) return event;  // kind kNone
  event = events_[head_];
  head_ = (head_ + 1) % kCapacity;
  --size_;
  event.dropped = dropped_;
  dropped_ = 0;
  return event;
}

}  // namespace atoll_os::servers::pm
