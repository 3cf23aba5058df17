// The `auto` strategy's cost model: each strategy's equations and the choice on an objective.
#include "cost_model.h"

#include "../lib/text_writer.h"

namespace atoll_os::servers::migm {
namespace {

using protocols::migm::Strategy;
using u128 = unsigned __int128;

constexpr uint64_t kNsPerSecond = 1'000'000'000;
constexpr uint64_t kMapRunPages = 64;        // mm's page map: runs of up to 64 pages ...
constexpr uint64_t kMapRunBytes = 24;        // ... of 24 bytes each (servers/mm/page_map.h)
constexpr uint64_t kFaultRequestBytes = 64;  // a remote fault's request and reply headers
constexpr uint64_t kTiePercent = 10;         // auto's target: within 10% of the best
constexpr uint64_t kTieNs = 1'000'000;
constexpr uint64_t kTieBytes = 4096;
constexpr uint32_t kMaxModelRounds = 1000;  // bounds the loop whatever the stop rule says

constexpr Strategy kPredicted[kPredictedStrategies] = {Strategy::kEager, Strategy::kPrecopy,
                                                       Strategy::kLazy,  Strategy::kPostcopy,
                                                       Strategy::kFlush, Strategy::kEagerDirty};

uint64_t saturate(u128 value) {
  return value > UINT64_MAX ? UINT64_MAX : uint64_t(value);
}
uint64_t add(uint64_t a, uint64_t b) {
  return saturate(u128(a) + b);
}
uint64_t mul(uint64_t a, uint64_t b) {
  return saturate(u128(a) * b);
}

// Time to move `bytes` at `rate` bytes per second.
uint64_t transfer_ns(uint64_t bytes, uint64_t rate) {
  if (rate == 0) return kNever;
  return saturate((u128(bytes) * kNsPerSecond + rate - 1) / rate);
}

// Pages a process writing `rate` pages/s dirties in `ns`, at most `resident` (it rewrites
// the same pages once it has touched them all).
uint64_t dirtied(uint64_t rate, uint64_t ns, uint64_t resident) {
  if (ns == kNever) return resident;
  uint64_t pages = saturate((u128(rate) * ns + kNsPerSecond - 1) / kNsPerSecond);
  return pages < resident ? pages : resident;
}

// Lazy's page map for `pages` resident pages: one run per 64 pages.
uint64_t map_bytes(uint64_t pages) {
  return mul(pages / kMapRunPages + (pages % kMapRunPages != 0 ? 1 : 0), kMapRunBytes);
}

// Batches of `pages` pages, fetch_batch_pages each.
uint64_t batches(uint64_t pages, const CostParams& p) {
  uint64_t batch = p.fetch_batch_pages != 0 ? p.fetch_batch_pages : 1;
  return pages / batch + (pages % batch != 0 ? 1 : 0);
}

// Fetching `pages` pages on demand from a server `rate` bytes/s away, a batch per fault, by
// a process that touches `touch_rate` pages a second: R·P/rate + ceil(R/b)·(Q + L) + R/D.
uint64_t demand_fetch_ns(uint64_t pages, uint64_t touch_rate, uint64_t rate, const CostInputs& in,
                         const CostParams& p) {
  if (pages == 0) return 0;
  if (touch_rate == 0) return kNever;
  uint64_t per_fault = add(p.fault_fixed_ns, in.rtt_ns);
  uint64_t paced = saturate((u128(pages) * kNsPerSecond + touch_rate - 1) / touch_rate);
  return add(add(transfer_ns(mul(pages, p.page_bytes), rate), mul(batches(pages, p), per_fault)),
             paced);
}

// The bytes of fetching `pages` on demand: the pages and a request per batch.
uint64_t demand_fetch_bytes(uint64_t pages, const CostParams& p) {
  return add(mul(pages, p.page_bytes), mul(batches(pages, p), kFaultRequestBytes));
}

// One pass over the dirty bits: R·s. The kernel walks only the page tables that exist, so
// the pass grows with what is resident, not with the regions (memtouch's span 400 MiB and
// more whatever its size; counted by A, precopy lost every choice to postcopy).
uint64_t scan_ns(const CostInputs& in, const CostParams& p) {
  return mul(in.resident_pages, p.scan_ns_per_page);
}

// A page map's freeze work besides the bytes: M + R·m.
uint64_t map_work_ns(const CostInputs& in, const CostParams& p) {
  return add(p.map_fixed_ns, mul(in.resident_pages, p.map_ns_per_page));
}

// Negotiation: one round trip and the fixed work (L + N).
uint64_t negotiate_ns(const CostInputs& in, const CostParams& p) {
  return add(in.rtt_ns, p.negotiate_ns);
}

Prediction eager(const CostInputs& in, const CostParams& p) {
  Prediction r{};
  r.bytes = add(mul(in.resident_pages, p.page_bytes), p.state_bytes);
  r.freeze_ns = add(p.freeze_fixed_ns, transfer_ns(r.bytes, in.link_bytes_per_s));
  r.total_ns = add(add(negotiate_ns(in, p), r.freeze_ns), p.release_ns);
  return r;
}

// Live rounds while the stop rule says so, each sending what the one before let the process
// dirty; then the frozen round sends what the last live round let it dirty.
Prediction precopy(const CostInputs& in, const CostParams& p) {
  Prediction r{};
  uint64_t pages = in.resident_pages;  // the first round sends every page
  uint64_t previous = UINT64_MAX;
  uint64_t live_ns = 0;
  uint64_t sent = 0;
  uint64_t round_ns = 0;
  for (;;) {
    round_ns = add(add(add(p.round_fixed_ns, in.rtt_ns), scan_ns(in, p)),
                   transfer_ns(mul(pages, p.page_bytes), in.link_bytes_per_s));
    live_ns = add(live_ns, round_ns);
    sent = add(sent, pages);
    ++r.rounds;
    if (r.rounds >= kMaxModelRounds ||
        precopy_next(p.precopy, r.rounds, pages, previous) != PrecopyDecision::kAnotherRound)
      break;
    previous = pages;
    pages = dirtied(in.dirty_pages_per_s, round_ns, in.resident_pages);
  }
  uint64_t last = dirtied(in.dirty_pages_per_s, round_ns, in.resident_pages);
  uint64_t frozen_bytes = add(mul(last, p.page_bytes), p.state_bytes);
  r.freeze_ns =
      add(add(p.freeze_fixed_ns, scan_ns(in, p)), transfer_ns(frozen_bytes, in.link_bytes_per_s));
  r.bytes = add(mul(sent, p.page_bytes), frozen_bytes);
  r.total_ns = add(add(add(negotiate_ns(in, p), live_ns), r.freeze_ns), p.release_ns);
  return r;
}

// Lazy and postcopy freeze alike: the page map and the state, no page.
uint64_t map_freeze_ns(const CostInputs& in, const CostParams& p) {
  uint64_t bytes = add(map_bytes(in.resident_pages), p.state_bytes);
  return add(add(p.freeze_fixed_ns, map_work_ns(in, p)), transfer_ns(bytes, in.link_bytes_per_s));
}

Prediction lazy(const CostInputs& in, const CostParams& p) {
  Prediction r{};
  r.freeze_ns = map_freeze_ns(in, p);
  r.residual = true;
  r.residual_ns =
      demand_fetch_ns(in.resident_pages, in.dirty_pages_per_s, in.link_bytes_per_s, in, p);
  r.total_ns = add(add(negotiate_ns(in, p), r.freeze_ns), r.residual_ns);
  r.bytes = add(add(map_bytes(in.resident_pages), p.state_bytes),
                demand_fetch_bytes(in.resident_pages, p));
  return r;
}

// Touched pages go first, the rest follow in batches, one in flight, a pause between them:
// the push ends after R·P/B + ceil(R/b)·(L + Z).
Prediction postcopy(const CostInputs& in, const CostParams& p) {
  Prediction r{};
  r.freeze_ns = map_freeze_ns(in, p);
  r.residual = true;
  r.residual_ns = add(transfer_ns(mul(in.resident_pages, p.page_bytes), in.link_bytes_per_s),
                      mul(batches(in.resident_pages, p), add(in.rtt_ns, p.push_pause_ns)));
  r.total_ns = add(add(negotiate_ns(in, p), r.freeze_ns), r.residual_ns);
  r.bytes =
      add(add(map_bytes(in.resident_pages), p.state_bytes), mul(in.resident_pages, p.page_bytes));
  return r;
}

uint64_t store_get_rate(const CostInputs& in) {
  return in.store_get_bytes_per_s != 0 ? in.store_get_bytes_per_s : in.store_put_bytes_per_s;
}

// Pages the store does not hold current: what flush writes and eager-dirty sends.
uint64_t unsaved_pages(const CostInputs& in) {
  return in.resident_pages - in.store_saved_pages;  // choose() checked saved <= resident
}

Prediction flush(const CostInputs& in, const CostParams& p) {
  Prediction r{};
  uint64_t unsaved = mul(unsaved_pages(in), p.page_bytes);
  uint64_t state = add(map_bytes(in.resident_pages), p.state_bytes);
  r.freeze_ns = add(add(add(p.freeze_fixed_ns, map_work_ns(in, p)),
                        transfer_ns(unsaved, in.store_put_bytes_per_s)),
                    transfer_ns(state, in.link_bytes_per_s));
  uint64_t fetch =
      demand_fetch_ns(in.resident_pages, in.dirty_pages_per_s, store_get_rate(in), in, p);
  r.total_ns = add(add(negotiate_ns(in, p), r.freeze_ns), fetch);
  r.bytes = add(add(unsaved, state), demand_fetch_bytes(in.resident_pages, p));
  return r;
}

// The live save puts every page the store does not hold current while the process runs;
// what the process writes meanwhile goes directly once it is frozen, the rest stays in the
// store: the save takes t((R-C)·P, S_put) + L and lets the process dirty n_d of R pages.
Prediction eager_dirty(const CostInputs& in, const CostParams& p) {
  Prediction r{};
  uint64_t unsaved = unsaved_pages(in);
  uint64_t save_ns =
      unsaved == 0
          ? 0
          : add(transfer_ns(mul(unsaved, p.page_bytes), in.store_put_bytes_per_s), in.rtt_ns);
  uint64_t written = dirtied(in.dirty_pages_per_s, save_ns, in.resident_pages);
  uint64_t saved = in.resident_pages - written;
  uint64_t sent = add(add(mul(written, p.page_bytes), map_bytes(saved)), p.state_bytes);
  r.rounds = unsaved == 0 ? 0 : 1;
  r.freeze_ns = add(add(p.freeze_fixed_ns, scan_ns(in, p)), transfer_ns(sent, in.link_bytes_per_s));
  uint64_t fetch = demand_fetch_ns(saved, in.dirty_pages_per_s, store_get_rate(in), in, p);
  r.total_ns = add(add(add(add(negotiate_ns(in, p), save_ns), r.freeze_ns), fetch), p.release_ns);
  r.bytes = add(add(mul(unsaved, p.page_bytes), sent), demand_fetch_bytes(saved, p));
  return r;
}

// Why `strategy` may not be chosen for `in`, or nullptr.
const char* exclusion(Strategy strategy, const CostInputs& in) {
  uint32_t built = in.built != 0 ? in.built : ~0u;
  if ((built & (1u << static_cast<uint32_t>(strategy))) == 0) return "not built";
  if (in.objective == Objective::kNoResidual && protocols::migm::leaves_residual(strategy))
    return "leaves a residual dependency";
  bool store = strategy == Strategy::kFlush || strategy == Strategy::kEagerDirty;
  if (store && (!in.store_available || in.store_put_bytes_per_s == 0)) return "no page store";
  return nullptr;
}

uint64_t primary(const Prediction& p, Objective objective) {
  switch (objective) {
    case Objective::kShortestFreeze: return p.freeze_ns;
    case Objective::kLeastTraffic: return p.bytes;
    case Objective::kShortestTotal:
    case Objective::kNoResidual: return p.total_ns;
  }
  return p.total_ns;
}

uint64_t secondary(const Prediction& p, Objective objective) {
  switch (objective) {
    case Objective::kShortestFreeze: return p.total_ns;
    case Objective::kShortestTotal: return p.bytes;
    case Objective::kLeastTraffic: return p.total_ns;
    case Objective::kNoResidual: return p.freeze_ns;
  }
  return p.freeze_ns;
}

// Whether `a` beats `b` when both tie on the primary measure (b comes first).
bool better_tied(const Prediction& a, const Prediction& b, Objective objective) {
  if (a.residual != b.residual) return !a.residual;
  return secondary(a, objective) < secondary(b, objective);
}

// The margin within which two values of `objective`'s primary measure tie with `best`.
uint64_t tie_margin(uint64_t best, Objective objective) {
  uint64_t floor = objective == Objective::kLeastTraffic ? kTieBytes : kTieNs;
  uint64_t share = best / 100 * kTiePercent;
  return share > floor ? share : floor;
}

const char* metric_name(Objective objective, bool second) {
  switch (objective) {
    case Objective::kShortestFreeze: return second ? "total" : "freeze";
    case Objective::kShortestTotal: return second ? "traffic" : "total";
    case Objective::kLeastTraffic: return second ? "total" : "traffic";
    case Objective::kNoResidual: return second ? "freeze" : "total";
  }
  return "?";
}

bool is_bytes(Objective objective, bool second) {
  return second ? objective == Objective::kShortestTotal : objective == Objective::kLeastTraffic;
}

// The reason's text: TextWriter's bounded text with times and sizes in their units.
class ReasonText {
 public:
  explicit ReasonText(char* out) : writer_(out, kReasonMax) {}
  ReasonText& text(const char* s) {
    writer_.text(s);
    return *this;
  }
  ReasonText& number(uint64_t value) {
    writer_.decimal(value);
    return *this;
  }
  // `whole`.`tenth`, the tenth only below 10.
  ReasonText& scaled(uint64_t value, uint64_t unit, const char* suffix) {
    number(value / unit);
    if (value / unit < 10) text(".").number(value % unit * 10 / unit);
    return text(suffix);
  }
  ReasonText& time(uint64_t ns) {
    if (ns == kNever) return text("never");
    if (ns >= 10 * kNsPerSecond) return number(ns / kNsPerSecond).text(" s");
    return scaled(ns, 1'000'000, " ms");
  }
  ReasonText& bytes(uint64_t bytes) {
    if (bytes >= (uint64_t{1} << 20)) return scaled(bytes, uint64_t{1} << 20, " MiB");
    return scaled(bytes, 1024, " KiB");
  }
  ReasonText& value(uint64_t v, bool as_bytes) { return as_bytes ? bytes(v) : time(v); }

 private:
  TextWriter writer_;
};

// "precopy: freeze 12 ms vs eager 840 ms (64 MiB, dirty 30 p/s)"; a tie names the
// secondary measure too.
void explain(Choice& choice, const Prediction& chosen, const Prediction* runner_up,
             const CostInputs& in, const CostParams& p) {
  Objective o = in.objective;
  ReasonText reason(choice.reason);
  reason.text(protocols::migm::strategy_name(chosen.strategy)).text(": ");
  reason.text(metric_name(o, false)).text(" ").value(primary(chosen, o), is_bytes(o, false));
  if (runner_up == nullptr) {
    reason.text(", the only strategy allowed");
  } else {
    uint64_t best =
        primary(chosen, o) < primary(*runner_up, o) ? primary(chosen, o) : primary(*runner_up, o);
    bool tie = primary(*runner_up, o) <= add(best, tie_margin(best, o)) &&
               primary(chosen, o) <= add(best, tie_margin(best, o));
    reason.text(tie ? " ~ " : " vs ").text(protocols::migm::strategy_name(runner_up->strategy));
    reason.text(" ").value(primary(*runner_up, o), is_bytes(o, false));
    if (tie) {
      reason.text(", ").text(metric_name(o, true)).text(" ");
      reason.value(secondary(chosen, o), is_bytes(o, true)).text(" vs ");
      reason.value(secondary(*runner_up, o), is_bytes(o, true));
    }
  }
  reason.text(" (").bytes(mul(in.resident_pages, p.page_bytes));
  reason.text(", dirty ").number(in.dirty_pages_per_s).text(" p/s)");
}

const char* check_inputs(const CostInputs& in, const CostParams& p) {
  if (in.link_bytes_per_s == 0) return "no link throughput measured";
  if (in.resident_pages == 0) return "no resident page";
  if (in.resident_pages > in.address_space_pages) return "more resident pages than mapped";
  if (in.store_saved_pages > in.resident_pages) return "more saved pages than resident";
  if (p.page_bytes == 0) return "page size 0";
  switch (in.objective) {
    case Objective::kShortestFreeze:
    case Objective::kShortestTotal:
    case Objective::kLeastTraffic:
    case Objective::kNoResidual: return nullptr;
  }
  return "unknown objective";
}

}  // namespace

const char* objective_name(Objective objective) {
  switch (objective) {
    case Objective::kShortestFreeze: return "freeze";
    case Objective::kShortestTotal: return "total";
    case Objective::kLeastTraffic: return "traffic";
    case Objective::kNoResidual: return "no-residual";
  }
  return "unknown";
}

bool parse_objective(const char* text, Objective& out) {
  for (Objective o : {Objective::kShortestFreeze, Objective::kShortestTotal,
                      Objective::kLeastTraffic, Objective::kNoResidual}) {
    const char* name = objective_name(o);
    size_t i = 0;
    while (name[i] != '\0' && text[i] == name[i]) ++i;
    if (name[i] == '\0' && text[i] == '\0') {
      out = o;
      return true;
    }
  }
  return false;
}

Prediction predict(Strategy strategy, const CostInputs& in, const CostParams& params) {
  Prediction r{};
  switch (strategy) {
    case Strategy::kEager: r = eager(in, params); break;
    case Strategy::kPrecopy: r = precopy(in, params); break;
    case Strategy::kLazy: r = lazy(in, params); break;
    case Strategy::kPostcopy: r = postcopy(in, params); break;
    case Strategy::kFlush: r = flush(in, params); break;
    case Strategy::kEagerDirty: r = eager_dirty(in, params); break;
    case Strategy::kAuto: r.total_ns = r.freeze_ns = r.bytes = kNever; break;
  }
  r.strategy = strategy;
  r.allowed = strategy != Strategy::kAuto;
  r.excluded = r.allowed ? nullptr : "auto is the chooser";
  return r;
}

Result<Choice> choose(const CostInputs& in, const CostParams& params, const char** why) {
  *why = check_inputs(in, params);
  if (*why != nullptr) return Err(Error::kInvalidArgument);
  Choice choice{};
  const Prediction* best = nullptr;
  for (size_t i = 0; i < kPredictedStrategies; ++i) {
    Prediction& p = choice.predictions[i];
    p = predict(kPredicted[i], in, params);
    p.excluded = exclusion(p.strategy, in);
    p.allowed = p.excluded == nullptr;
    if (p.allowed && (best == nullptr || primary(p, in.objective) < primary(*best, in.objective)))
      best = &p;
  }
  if (best == nullptr) {
    *why = "no strategy is allowed for this objective on this cluster";
    return Err(Error::kNotSupported);
  }
  // Among those tied with the best: no residual dependency, the best secondary measure, the
  // lower value.
  uint64_t limit =
      add(primary(*best, in.objective), tie_margin(primary(*best, in.objective), in.objective));
  const Prediction* chosen = nullptr;
  for (const Prediction& p : choice.predictions) {
    if (!p.allowed || primary(p, in.objective) > limit) continue;
    if (chosen == nullptr || better_tied(p, *chosen, in.objective)) chosen = &p;
  }
  // The runner-up: the best of the others on the primary measure.
  const Prediction* runner_up = nullptr;
  for (const Prediction& p : choice.predictions) {
    if (!p.allowed || &p == chosen) continue;
    if (runner_up == nullptr || primary(p, in.objective) < primary(*runner_up, in.objective))
      runner_up = &p;
  }
  choice.strategy = chosen->strategy;
  explain(choice, *chosen, runner_up, in, params);
  return choice;
}

}  // namespace atoll_os::servers::migm
