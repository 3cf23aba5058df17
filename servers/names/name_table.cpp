// Name table operations with per-owner quotas.
#include "name_table.h"

namespace atoll_os::servers::names {

bool NameTable::valid_name(std::string_view name) {
  if (name.empty() || name.size() >= protocols::names::kNameMax) return false;
  for (char c : name) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

const NameTable::Entry* NameTable::entry(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.used && std::string_view(e.name) == name) return &e;
  }
  return nullptr;
}

NameTable::Entry* NameTable::entry(std::string_view name) {
  return const_cast<Entry*>(static_cast<const NameTable*>(this)->entry(name));
}

size_t NameTable::owned_by(uint64_t owner) const {
  size_t count = 0;
  for (const Entry& e : entries_) count += e.used && e.owner == owner;
  return count;
}

Result<void> NameTable::add(uint64_t owner, std::string_view name, abi::Handle endpoint) {
  if (!valid_name(name)) return Err(Error::kInvalidArgument);
  if (entry(name) != nullptr) return Err(Error::kAlreadyExists);
  if (owned_by(owner) >= kMaxNamesPerOwner) return Err(Error::kOutOfMemory);
  for (Entry& e : entries_) {
    if (e.used) continue;
    e = Entry{};
    __builtin_memcpy(e.name, name.data(), name.size());
    e.endpoint = endpoint;
    e.owner = owner;
    e.used = true;
    ++size_;
    return success();
  }
  return Err(Error::kOutOfMemory);
}

Result<abi::Handle> NameTable::find(std::string_view name) const {
  const Entry* e = entry(name);
  if (e == nullptr) return Err(Error::kNotFound);
  return e->endpoint;
}

Result<abi::Handle> NameTable::remove(uint64_t owner, std::string_view name) {
  Entry* e = entry(name);
  if (e == nullptr) return Err(Error::kNotFound);
  if (e->owner != owner) return Err(Error::kAccessDenied);
  e->used = false;
  --size_;
  return e->endpoint;
}

size_t NameTable::remove_owner(uint64_t owner, abi::Handle (&out)[kMaxNamesPerOwner]) {
  size_t removed = 0;
  for (Entry& e : entries_) {
    if (!e.used || e.owner != owner || removed == kMaxNamesPerOwner) continue;
    out[removed++] = e.endpoint;
    e.used = false;
    --size_;
  }
  return removed;
}

}  // namespace atoll_os::servers::names
