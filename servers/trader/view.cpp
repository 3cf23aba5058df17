// The view's bookkeeping: updates, expiry and selection.
#include "view.h"

#include "../migm/cpu_features.h"

namespace atoll_os::servers::trader {

bool View::update(const Offer& offer, uint64_t now_ns) {
  Entry* slot = nullptr;
  for (Entry& e : entries_) {
    if (e.used && e.offer.node == offer.node) {
      if (e.offer.incarnation == offer.incarnation && offer.sequence <= e.offer.sequence) {
        return false;
      }
      slot = &e;
      break;
    }
    if (!e.used && slot == nullptr) slot = &e;
  }
  if (slot == nullptr) {
    ++refused_;
    return false;
  }
  *slot = {true, offer, now_ns};
  return true;
}

size_t View::expire(uint64_t now_ns) {
  size_t forgotten = 0;
  for (Entry& e : entries_) {
    if (e.used && now_ns > e.heard_ns && now_ns - e.heard_ns > kForgetAfterNs) {
      e.used = false;
      ++forgotten;
    }
  }
  return forgotten;
}

bool View::forget(uint32_t node) {
  for (Entry& e : entries_) {
    if (e.used && e.offer.node == node) {
      e.used = false;
      return true;
    }
  }
  return false;
}

const Offer* View::find(uint32_t node) const {
  for (const Entry& e : entries_) {
    if (e.used && e.offer.node == node) return &e.offer;
  }
  return nullptr;
}

uint64_t View::age_ms(uint32_t node, uint64_t now_ns) const {
  for (const Entry& e : entries_) {
    if (e.used && e.offer.node == node) return (now_ns - e.heard_ns) / 1'000'000;
  }
  return 0;
}

size_t View::size() const {
  size_t n = 0;
  for (const Entry& e : entries_) n += e.used;
  return n;
}

const View::Entry* View::next_in_order(size_t i) const {
  // Selection by rank: O(n^2) over at most kViewMax entries, no sorting state to keep.
  for (const Entry& e : entries_) {
    if (!e.used) continue;
    size_t smaller = 0;
    for (const Entry& other : entries_) smaller += other.used && other.offer.node < e.offer.node;
    if (smaller == i) return &e;
  }
  return nullptr;
}

Selection View::select(const Query& query, const SelectionRules& rules, uint64_t now_ns) const {
  Selection s{nullptr, 0, 0, 0};
  for (const Entry& e : entries_) {
    if (!e.used || int64_t{e.offer.node} == rules.exclude_node) continue;
    if (rules.required != nullptr &&
        migm::missing_features(*rules.required, e.offer.features, nullptr, 0) != 0) {
      continue;
    }
    ++s.considered;
    Candidate c{&e.offer, (now_ns - e.heard_ns) / 1'000'000};
    if (!query.matches(c)) continue;
    ++s.matched;
    if (s.best == nullptr || query.prefers(c, Candidate{s.best, s.best_age_ms})) {
      s.best = &e.offer;
      s.best_age_ms = c.age_ms;
    }
  }
  return s;
}

}  // namespace atoll_os::servers::trader
