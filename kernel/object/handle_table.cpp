// A task's handle table and the revocation tree behind it.
#include "object/handle_table.h"

#include <new>

namespace atoll_os::kernel {
namespace {

constexpr uint32_t kSlotBits = 16;
constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;

Handle encode(uint32_t slot, uint16_t generation) {
  return (uint32_t(generation) << kSlotBits) | slot;
}

}  // namespace

RevocationNode* RevocationNode::create(RevocationNode* parent) {
  auto* node = new (std::nothrow) RevocationNode;
  if (node == nullptr) return nullptr;
  node->parent_ = parent;
  if (parent) parent->retain();
  return node;
}

void RevocationNode::release() {
  RevocationNode* node = this;
  while (node && --node->references_ == 0) {
    RevocationNode* parent = node->parent_;
    delete node;
    node = parent;
  }
}

bool RevocationNode::revoked_slow() const {
  for (const RevocationNode* n = this; n; n = n->parent_) {
    if (n->revoked_) return true;
  }
  checked_epoch_ = epoch_;  // clean now; revocations only ever add, so recheck after one
  return false;
}

Result<void> HandleTable::grow() {
  if (capacity_ >= kMaxSlots) return Err(Error::kOutOfMemory);
  uint32_t grown = capacity_ == 0 ? kInitialSlots : capacity_ * 2;
  auto* bigger = new (std::nothrow) HandleEntry[grown];
  if (bigger == nullptr) return Err(Error::kOutOfMemory);
  for (uint32_t i = 0; i < capacity_; ++i) bigger[i] = entries_[i];
  delete[] entries_;
  entries_ = bigger;
  capacity_ = grown;
  return success();
}

Result<uint32_t> HandleTable::free_slot() {
  for (uint32_t slot = 1; slot < capacity_; ++slot) {
    if (entries_[slot].object == nullptr) return slot;
  }
  uint32_t first_new = capacity_ == 0 ? 1 : capacity_;
  TRY(grow());
  return first_new;
}

Result<Handle> HandleTable::add(KernelObject* object, uint32_t rights, uint64_t badge,
                                RevocationNode* parent) {
  uint32_t slot = TRY(free_slot());
  RevocationNode* node = RevocationNode::create(parent);
  if (node == nullptr) return Err(Error::kOutOfMemory);
  HandleEntry& e = entries_[slot];
  object->retain();
  e.object = object;
  e.rights = rights;
  e.badge = badge;
  e.node = node;
  ++used_;
  return encode(slot, e.generation);
}

Result<void> HandleTable::add_at(Handle value, KernelObject* object, uint32_t rights,
                                 uint64_t badge, RevocationNode* parent) {
  uint32_t slot = value & kSlotMask;
  if (slot == 0 || slot >= kMaxSlots) return Err(Error::kInvalidArgument);
  while (slot >= capacity_) TRY(grow());
  HandleEntry& e = entries_[slot];
  if (e.object != nullptr) return Err(Error::kAlreadyExists);
  RevocationNode* node = RevocationNode::create(parent);
  if (node == nullptr) return Err(Error::kOutOfMemory);
  object->retain();
  e = {object, rights, badge, node, uint16_t(value >> kSlotBits)};
  ++used_;
  return success();
}

// Values order by generation first, so slot order is not value order: each call scans the
// whole table once, keeping the `max` smallest values above `after` in `out` by insertion.
size_t HandleTable::list(Handle after, abi::HandleListEntry* out, size_t max) {
  size_t count = 0;
  for (uint32_t slot = 1; slot < capacity_ && max > 0; ++slot) {
    HandleEntry& e = entries_[slot];
    Handle value = encode(slot, e.generation);
    if (e.object == nullptr || value <= after) continue;
    if (count == max && value > out[count - 1].value) continue;
    size_t at = count < max ? count++ : count - 1;  // when full, the largest drops out
    for (; at > 0 && out[at - 1].value > value; --at) out[at] = out[at - 1];
    uint32_t flags = e.node->revoked() ? abi::kHandleRevoked : 0;
    out[at] = {value, e.object->type(), e.rights, flags, e.badge, e.object->id()};
  }
  return count;
}

Result<void> HandleTable::remove(Handle value) {
  uint32_t slot = value & kSlotMask;
  if (slot == 0 || slot >= capacity_) return Err(Error::kBadHandle);
  HandleEntry& e = entries_[slot];
  if (e.object == nullptr || e.generation != (value >> kSlotBits)) return Err(Error::kBadHandle);
  KernelObject* object = e.object;
  e.node->release();
  e = {nullptr, 0, 0, nullptr, uint16_t(e.generation + 1)};
  --used_;
  object->release();
  return success();
}

Result<void> HandleTable::revoke(Handle value) {
  HandleEntry* e = TRY(lookup(value));
  RevocationNode* fresh = RevocationNode::create(e->node->parent());
  if (fresh == nullptr) return Err(Error::kOutOfMemory);
  e->node->revoke();
  e->node->release();
  e->node = fresh;
  return success();
}

void HandleTable::clear() {
  for (uint32_t slot = 1; slot < capacity_; ++slot) {
    if (entries_[slot].object != nullptr) (void)remove(encode(slot, entries_[slot].generation));
  }
  delete[] entries_;
  entries_ = nullptr;
  capacity_ = 0;
}

}  // namespace atoll_os::kernel
