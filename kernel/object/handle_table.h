// A task's handle table: handle values to (object, rights, badge), with revocation.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/result.h"
#include "object/kernel_object.h"

namespace atoll_os::kernel {

using abi::Handle;

/// Revocation: every handle points at a node; a handle derived from another (duplicate,
/// transfer, message) gets a child node. revoke() marks a handle's node revoked and gives
/// the handle a fresh one, so every derived handle — whose chain passes through a revoked
/// node — stops working while the revoker's own handle keeps working.
class RevocationNode {
 public:
  static RevocationNode* create(RevocationNode* parent);
  void retain() { ++references_; }
  void release();
  /// True if this node or an ancestor was revoked. Walks the chain only when some
  /// revocation happened since this node was last found valid.
  bool revoked() const {
    if (checked_epoch_ == epoch_) return false;
    return revoked_slow();
  }
  void revoke() {
    revoked_ = true;
    ++epoch_;
  }
  RevocationNode* parent() const { return parent_; }

 private:
  RevocationNode* parent_ = nullptr;
  uint32_t references_ = 1;
  bool revoked_slow() const;

  bool revoked_ = false;
  mutable uint64_t checked_epoch_ = ~0ull;  // the epoch at which the chain was last clean
  static inline uint64_t epoch_ = 0;        // counts revocations, kernel-wide
};

struct HandleEntry {
  KernelObject* object = nullptr;  // owns one reference; nullptr: free slot
  uint32_t rights = 0;
  uint64_t badge = 0;
  RevocationNode* node = nullptr;  // owns one reference
  uint16_t generation = 0;         // bumps on every reuse so stale values stop matching
};

/// Handle values are (generation << 16) | slot, slot >= 1. Grows on demand up to kMaxSlots.
class HandleTable {
 public:
  static constexpr uint32_t kMaxSlots = 4096;
  static constexpr uint32_t kInitialSlots = 64;

  HandleTable() = default;
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;
  ~HandleTable() { clear(); }

  /// Adds `object` (a new reference is taken). `parent` is the revocation node of the
  /// handle it derives from, if any. kOutOfMemory if the table is full.
  Result<Handle> add(KernelObject* object, uint32_t rights, uint64_t badge, RevocationNode* parent);
  /// Puts an entry at exactly `value`, slot and generation (boot handles, and a migrated
  /// task's handles at the values it knew): kInvalidArgument if `value` cannot be a handle,
  /// kAlreadyExists if its slot is used. `parent` as in add().
  Result<void> add_at(Handle value, KernelObject* object, uint32_t rights, uint64_t badge = 0,
                      RevocationNode* parent = nullptr);
  /// Copies up to `max` entries (revoked ones flagged) whose value is above `after` into
  /// `out`, in increasing value order; the count. Work is bounded by kMaxSlots whatever
  /// the caller asks.
  size_t list(Handle after, abi::HandleListEntry* out, size_t max);
  /// The live, unrevoked entry for `value`: kBadHandle otherwise.
  Result<HandleEntry*> lookup(Handle value) {
    HandleEntry* e = find(value);
    if (e == nullptr) return Err(Error::kBadHandle);
    return e;
  }
  /// As lookup, and checks type and rights: kBadHandle, kInvalidArgument (wrong type) or
  /// kAccessDenied (missing rights). Inline: every system call with a handle comes here.
  Result<HandleEntry*> lookup(Handle value, ObjectType type, uint32_t rights) {
    HandleEntry* e = find(value);
    if (e == nullptr) return Err(Error::kBadHandle);
    if (e->object->type() != type) return Err(Error::kInvalidArgument);
    if ((e->rights & rights) != rights) return Err(Error::kAccessDenied);
    return e;
  }
  Result<void> remove(Handle value);
  Result<void> revoke(Handle value);
  /// Drops every entry (task teardown).
  void clear();
  size_t count() const { return used_; }

 private:
  HandleEntry* find(Handle value) {
    uint32_t slot = value & 0xffff;
    if (slot == 0 || slot >= capacity_) return nullptr;
    HandleEntry& e = entries_[slot];
    if (e.object == nullptr || e.generation != (value >> 16) || e.node->revoked()) return nullptr;
    return &e;
  }
  Result<uint32_t> free_slot();
  Result<void> grow();
  HandleEntry* entries_ = nullptr;
  uint32_t capacity_ = 0;
  size_t used_ = 0;
};

}  // namespace atoll_os::kernel
