// The trader's cluster-wide view: the latest offer of every node it has heard from, with
// when it was heard; nodes silent for longer than kForgetAfterNs are forgotten.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "offer.h"
#include "query.h"

namespace atoll_os::servers::trader {

inline constexpr size_t kViewMax = 64;
/// Traders advertise every kAdvertiseIntervalNs; a node unheard for kForgetAfterNs (several
/// intervals, so one late or lost offer does not drop a live node) leaves the view.
inline constexpr uint64_t kAdvertiseIntervalNs = 1'000'000'000;
inline constexpr uint64_t kForgetAfterNs = 5'000'000'000;

/// The outcome of a selection: the preferred candidate (if any matched), how many matched
/// and how many were considered (known, not excluded, homogeneous when asked).
struct Selection {
  const Offer* best;
  uint64_t best_age_ms;
  size_t matched;
  size_t considered;
};

/// What a selection must also respect beyond the query.
struct SelectionRules {
  const protocols::pm::CpuFeatures* required;  // nullptr: any; else every named feature
  int64_t exclude_node;                        // -1: none
};

class View {
 public:
  /// Records `offer` heard at `now_ns`. An offer of the incarnation already known with a
  /// sequence not above the known one is stale and ignored (false); so is a new node when
  /// the view is full (counted in refused()).
  bool update(const Offer& offer, uint64_t now_ns);
  /// Forgets the nodes unheard for more than kForgetAfterNs; how many.
  size_t expire(uint64_t now_ns);
  /// Forgets one node (its trader said so, or a test); false if unknown.
  bool forget(uint32_t node);

  /// The node's entry, or nullptr.
  const Offer* find(uint32_t node) const;
  /// Milliseconds since `node` was heard (0 if unknown).
  uint64_t age_ms(uint32_t node, uint64_t now_ns) const;
  size_t size() const;
  uint64_t refused() const { return refused_; }

  /// The candidate the query prefers among those that satisfy it and the rules.
  Selection select(const Query& query, const SelectionRules& rules, uint64_t now_ns) const;

  /// Calls f(const Offer&, uint64_t age_ms) for every node, in node order.
  template <typename F>
  void for_each(uint64_t now_ns, F&& f) const {
    for (size_t i = 0; i < kViewMax; ++i) {
      const Entry* e = next_in_order(i);
      if (e == nullptr) return;
      f(e->offer, (now_ns - e->heard_ns) / 1'000'000);
    }
  }

 private:
  struct Entry {
    bool used;
    Offer offer;
    uint64_t heard_ns;
  };
  /// The entry with the i-th smallest node number, or nullptr.
  const Entry* next_in_order(size_t i) const;

  Entry entries_[kViewMax] = {};
  uint64_t refused_ = 0;
};

}  // namespace atoll_os::servers::trader
