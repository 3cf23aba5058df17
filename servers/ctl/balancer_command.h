// ctl's balancer commands: `balancer status|on|off` and `balancer set KEY=VALUE...`, parsed
// here (the ranges are the balancer's to check: it names the field it refuses), and the
// status as JSON.
#pragma once

#include <stdint.h>

#include <string_view>

#include "atoll/protocols/balancer.h"
#include "command.h"
#include "json_writer.h"

namespace atoll_os::servers::ctl {

inline constexpr const char kBalancerUsage[] =
    "usage: balancer status|on|off | balancer set KEY=VALUE... (keys: threshold, margin, "
    "interval, cooldown, settle, max_moves, strategy)";
/// At most this many assignments in one `balancer set`.
inline constexpr size_t kBalancerAssignmentsMax = 8;

/// BalancerChange::fields bits.
enum BalancerField : uint32_t {
  kFieldThreshold = 1 << 0,
  kFieldMargin = 1 << 1,
  kFieldInterval = 1 << 2,
  kFieldCooldown = 1 << 3,
  kFieldSettle = 1 << 4,
  kFieldMaxMoves = 1 << 5,
  kFieldStrategy = 1 << 6,
};

/// The words after `balancer`. Loads (threshold, margin) are decimals with at most 3
/// decimals (1.5); times are milliseconds; strategy is a migm strategy's name.
Result<Command> parse_balancer(std::string_view rest, CommandError* error);

/// `params` with the change's fields replaced.
protocols::balancer::BalancerParams apply_change(const BalancerChange& change,
                                                 protocols::balancer::BalancerParams params);

/// {"ok":true,"cmd":"balancer","node":N,"enabled":..,"threshold":"1.500",...,"last":".."}
void render_balancer(JsonWriter& json, uint64_t node, const protocols::balancer::BalancerStatus& s);

}  // namespace atoll_os::servers::ctl
