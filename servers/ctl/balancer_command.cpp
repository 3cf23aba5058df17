// Parsing ctl's balancer commands and rendering the balancer's status.
#include "balancer_command.h"

#include "../lib/text_writer.h"
#include "atoll/protocols/migm.h"
#include "atoll/text.h"

namespace atoll_os::servers::ctl {
namespace {

using protocols::balancer::BalancerParams;

enum class ValueKind { kLoad, kMilliseconds, kCount, kStrategy };

struct Key {
  std::string_view name;
  BalancerField field;
  ValueKind kind;
  const char* malformed;  // the reason when the value does not parse
};

constexpr Key kKeys[] = {
    {"threshold", kFieldThreshold, ValueKind::kLoad,
     "threshold: expected a load such as 1.5 (at most 3 decimals)"},
    {"margin", kFieldMargin, ValueKind::kLoad,
     "margin: expected a load such as 0.5 (at most 3 decimals)"},
    {"interval", kFieldInterval, ValueKind::kMilliseconds, "interval: expected milliseconds"},
    {"cooldown", kFieldCooldown, ValueKind::kMilliseconds, "cooldown: expected milliseconds"},
    {"settle", kFieldSettle, ValueKind::kMilliseconds, "settle: expected milliseconds"},
    {"max_moves", kFieldMaxMoves, ValueKind::kCount, "max_moves: expected a number"},
    {"strategy", kFieldStrategy, ValueKind::kStrategy,
     "strategy: expected eager, precopy, lazy, postcopy, flush, eager-dirty or auto"},
};

// "1", "1.5", "0.125" -> thousandths; at most 3 decimals and 4,000,000.000.
bool parse_load(std::string_view text, uint32_t& milli) {
  uint64_t whole = 0;
  uint64_t fraction = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    whole = whole * 10 + uint64_t(text[i] - '0');
    if (whole > 4'000'000) return false;
  }
  if (i == 0) return false;
  if (i < text.size()) {
    if (text[i++] != '.' || i == text.size()) return false;
    uint64_t unit = 100;
    for (; i < text.size(); ++i, unit /= 10) {
      if (unit == 0 || text[i] < '0' || text[i] > '9') return false;
      fraction += uint64_t(text[i] - '0') * unit;
    }
  }
  milli = static_cast<uint32_t>(whole * 1000 + fraction);
  return true;
}

bool parse_value(const Key& key, std::string_view text, BalancerParams& values) {
  if (key.kind == ValueKind::kLoad) {
    return parse_load(text,
                      key.field == kFieldThreshold ? values.threshold_milli : values.margin_milli);
  }
  if (key.kind == ValueKind::kStrategy) {
    char name[16] = {};
    protocols::migm::Strategy strategy{};
    if (text.size() >= sizeof(name)) return false;
    __builtin_memcpy(name, text.data(), text.size());
    if (!protocols::migm::parse_strategy(name, strategy)) return false;
    values.strategy = static_cast<uint32_t>(strategy);
    return true;
  }
  for (char c : text) {
    if (c < '0' || c > '9') return false;  // decimal only: "1e3" or "-1" are refused
  }
  auto number = text::parse_unsigned(text);
  if (!number.ok() || *number > 0xffffffffu) return false;
  uint32_t v = static_cast<uint32_t>(*number);
  switch (key.field) {
    case kFieldInterval: values.interval_ms = v; break;
    case kFieldCooldown: values.cooldown_ms = v; break;
    case kFieldSettle: values.settle_ms = v; break;
    default: values.max_moves = v; break;
  }
  return true;
}

// One KEY=VALUE word into `change`; the reason when it is not one.
const char* parse_assignment(std::string_view word, BalancerChange& change) {
  size_t equals = 0;
  while (equals < word.size() && word[equals] != '=') ++equals;  // no memchr in ring 3
  if (equals == word.size()) return "expected KEY=VALUE";
  std::string_view name = word.substr(0, equals);
  for (const Key& key : kKeys) {
    if (key.name != name) continue;
    if (change.fields & key.field) return "a key is given twice";
    if (!parse_value(key, word.substr(equals + 1), change.values)) return key.malformed;
    change.fields |= key.field;
    return nullptr;
  }
  return "unknown key; the keys: threshold, margin, interval, cooldown, settle, max_moves, "
         "strategy";
}

}  // namespace

Result<Command> parse_balancer(std::string_view rest, CommandError* error) {
  auto fail = [&](const char* reason) {
    if (error != nullptr) *error = {"bad_command", reason};
    return Err(Error::kBadFormat);
  };
  Command command{};
  command.kind = CommandKind::kBalancer;
  std::string_view action = text::take_word(rest);
  if (action == "status" || action == "on" || action == "off") {
    if (!text::take_word(rest).empty()) return fail(kBalancerUsage);
    command.balancer_action = action == "status" ? BalancerAction::kStatus
                              : action == "on"   ? BalancerAction::kOn
                                                 : BalancerAction::kOff;
    return command;
  }
  if (action != "set") return fail(kBalancerUsage);
  command.balancer_action = BalancerAction::kSet;
  size_t count = 0;
  for (std::string_view word = text::take_word(rest); !word.empty(); word = text::take_word(rest)) {
    if (++count > kBalancerAssignmentsMax) return fail("at most 8 assignments");
    if (const char* reason = parse_assignment(word, command.balancer_change); reason != nullptr) {
      return fail(reason);
    }
  }
  if (count == 0) return fail(kBalancerUsage);
  return command;
}

BalancerParams apply_change(const BalancerChange& change, BalancerParams p) {
  const BalancerParams& v = change.values;
  if (change.fields & kFieldThreshold) p.threshold_milli = v.threshold_milli;
  if (change.fields & kFieldMargin) p.margin_milli = v.margin_milli;
  if (change.fields & kFieldInterval) p.interval_ms = v.interval_ms;
  if (change.fields & kFieldCooldown) p.cooldown_ms = v.cooldown_ms;
  if (change.fields & kFieldSettle) p.settle_ms = v.settle_ms;
  if (change.fields & kFieldMaxMoves) p.max_moves = v.max_moves;
  if (change.fields & kFieldStrategy) p.strategy = v.strategy;
  return p;
}

void render_balancer(JsonWriter& json, uint64_t node,
                     const protocols::balancer::BalancerStatus& s) {
  char threshold[16];
  char margin[16];
  char load[16];
  TextWriter(threshold).milli(s.params.threshold_milli);
  TextWriter(margin).milli(s.params.margin_milli);
  TextWriter(load).milli(s.load_milli);
  auto strategy = static_cast<protocols::migm::Strategy>(s.params.strategy);
  json.begin_object()
      .field_bool("ok", true)
      .field("cmd", "balancer")
      .field("node", node)
      .field_bool("enabled", s.params.enabled != 0)
      .field("threshold", threshold)
      .field("margin", margin)
      .field("interval_ms", uint64_t{s.params.interval_ms})
      .field("cooldown_ms", uint64_t{s.params.cooldown_ms})
      .field("settle_ms", uint64_t{s.params.settle_ms})
      .field("max_moves", uint64_t{s.params.max_moves})
      .field("strategy", protocols::migm::strategy_name(strategy))
      .field("decisions", s.decisions)
      .field("migrations", s.migrations)
      .field("failures", s.failures)
      .field("load", load)
      .field("last", std::string_view(s.last, protocols::text_length(s.last)))
      .end_object();
}

}  // namespace atoll_os::servers::ctl
