// Judging proposals and keeping track of what was prepared.
#include "destination.h"

namespace atoll_os::servers::migm {
namespace {

void append(char* out, size_t capacity, size_t& used, const char* text) {
  for (; *text != '\0' && used + 1 < capacity; ++text) out[used++] = *text;
  out[used] = '\0';
}

void append_number(char* out, size_t capacity, size_t& used, uint64_t value) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  char text[24];
  for (size_t i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\0';
  append(out, capacity, used, text);
}

}  // namespace

PeerAnswer answer(Error error, const char* reason) {
  PeerAnswer a{};
  a.error = static_cast<int32_t>(error);
  size_t used = 0;
  append(a.reason, sizeof(a.reason), used, reason != nullptr ? reason : "");
  return a;
}

Incoming::Entry* Incoming::find(uint64_t migration_id, uint64_t pid) {
  for (Entry& e : entries_) {
    if (e.used && e.migration_id == migration_id && e.pid == pid) return &e;
  }
  return nullptr;
}

size_t Incoming::pending() const {
  size_t n = 0;
  for (const Entry& e : entries_) n += e.used;
  return n;
}

PeerAnswer Incoming::judge(const Proposal& proposal) {
  if (proposal.version != protocols::migm::kMigrationVersion) {
    return answer(Error::kNotSupported, "the destination speaks another migration version");
  }
  if (proposal.isa != kIsaX86_64) {
    return answer(Error::kNotSupported, "the destination runs another instruction set");
  }
  if (!has_plan(proposal.strategy)) {
    return answer(Error::kNotSupported, "the destination does not know that strategy");
  }
  PeerAnswer refusal = answer(Error::kNotSupported, "");
  size_t used = 0;
  char missing[64];
  CpuFeatures offered = steps_.features();
  if (missing_features(proposal.features, offered, missing, sizeof(missing)) != 0) {
    append(refusal.reason, sizeof(refusal.reason), used, "the destination's CPU lacks ");
    append(refusal.reason, sizeof(refusal.reason), used, missing);
    return refusal;
  }
  Result<uint64_t> free = steps_.free_pages();
  if (!free.ok()) return answer(free.error(), "the destination cannot tell its free memory");
  uint64_t needed = proposal.process.resident_pages + kMarginPages;
  if (*free < needed) {
    refusal.error = static_cast<int32_t>(Error::kOutOfMemory);
    append(refusal.reason, sizeof(refusal.reason), used, "not enough memory on the destination: ");
    append_number(refusal.reason, sizeof(refusal.reason), used, needed);
    append(refusal.reason, sizeof(refusal.reason), used, " pages needed, ");
    append_number(refusal.reason, sizeof(refusal.reason), used, *free);
    append(refusal.reason, sizeof(refusal.reason), used, " free");
    return refusal;
  }
  return answer(Error::kOk, "");
}

PeerAnswer Incoming::propose(const Proposal& proposal, uint16_t from_node, uint64_t now_ns) {
  if (find(proposal.migration_id, proposal.process.pid) != nullptr) {
    return answer(Error::kAlreadyExists, "that migration is already prepared here");
  }
  Entry* slot = nullptr;
  for (Entry& e : entries_) {
    if (!e.used && slot == nullptr) slot = &e;
  }
  if (slot == nullptr)
    return answer(Error::kBusy, "the destination has too many migrations in flight");
  PeerAnswer verdict = judge(proposal);
  if (verdict.error != 0) return verdict;
  if (Result<void> prepared = steps_.prepare(proposal); !prepared.ok()) {
    return answer(prepared.error(), steps_.reason());
  }
  *slot = {true, proposal.migration_id, proposal.process.pid, from_node, now_ns};
  return answer(Error::kOk, "");
}

PeerAnswer Incoming::commit(uint64_t migration_id, uint64_t pid) {
  Entry* entry = find(migration_id, pid);
  if (entry == nullptr) return answer(Error::kNotFound, "no such migration prepared here");
  if (Result<void> committed = steps_.commit(pid); !committed.ok()) {
    PeerAnswer refused = answer(committed.error(), steps_.reason());
    (void)steps_.abort(pid);  // the source thaws its copy: this one must not live on
    entry->used = false;
    return refused;
  }
  entry->used = false;
  return answer(Error::kOk, "");
}

PeerAnswer Incoming::abort(uint64_t migration_id, uint64_t pid) {
  Entry* entry = find(migration_id, pid);
  if (entry == nullptr) return answer(Error::kNotFound, "no such migration prepared here");
  (void)steps_.abort(pid);
  entry->used = false;
  return answer(Error::kOk, "");
}

size_t Incoming::expire(uint64_t now_ns) {
  size_t expired = 0;
  for (Entry& e : entries_) {
    if (!e.used || now_ns - e.prepared_at < kPreparedLifetimeNs) continue;
    (void)steps_.abort(e.pid);
    e.used = false;
    ++expired;
  }
  return expired;
}

}  // namespace atoll_os::servers::migm
