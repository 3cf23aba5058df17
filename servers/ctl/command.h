// ctl's command language: one command per line from the host.
//   ps                 the processes
//   run NAME ARGS...   start boot module NAME with arguments
//   kill PID           end a process
//   migrate PID NODE [STRATEGY [OBJECTIVE]]
//                      move a process of this node to NODE (strategy eager by default);
//                      NODE "any": the least loaded homogeneous node the trader knows;
//                      auto's OBJECTIVE: freeze (default), total, traffic, no-residual
//   trader query [CONSTRAINT] [prefer min|max ATTRIBUTE]
//                      the node the trader prefers among those satisfying the constraint
//   trader view        the trader's cluster-wide view: every node's attributes and age
//   balancer status|on|off
//   balancer set KEY=VALUE...
//                      the load balancer's parameters and counts (docs/balancer.md)
//   mem                the node's memory
//   stats              process and CPU totals
//   help               the commands
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/protocols/balancer.h"
#include "atoll/protocols/migm.h"
#include "atoll/protocols/pm.h"
#include "atoll/result.h"

namespace atoll_os::servers::ctl {

inline constexpr size_t kMaxRunArguments = 32;
inline constexpr size_t kTraderQueryMax = 255;

enum class CommandKind {
  kPs,
  kRun,
  kKill,
  kMigrate,
  kMem,
  kStats,
  kHelp,
  kTrader,
  kMigration,
  kBalancer
};
enum class TraderAction { kQuery, kView };
enum class BalancerAction { kStatus, kOn, kOff, kSet };

/// `balancer set`'s assignments: the fields named (bits of BalancerField) take the values.
struct BalancerChange {
  uint32_t fields;
  protocols::balancer::BalancerParams values;
};

/// kMigrate's node when the trader is to choose it ("any").
inline constexpr uint64_t kAnyNode = ~uint64_t{0};

struct Command {
  CommandKind kind;
  std::string_view name;  // kRun: the module
  std::string_view arguments[kMaxRunArguments];
  size_t argument_count;
  uint64_t pid;                        // kKill, kMigrate; kMigration: the migration id
  uint64_t node;                       // kMigrate
  protocols::migm::Strategy strategy;  // kMigrate
  uint32_t objective;                  // kMigrate with auto: 0 (shortest freeze) or Objective
  TraderAction trader_action;          // kTrader
  std::string_view text;               // kTrader kQuery: the query, as typed
  BalancerAction balancer_action;      // kBalancer
  BalancerChange balancer_change;      // kBalancer kSet
};

/// Why a line is not a command: `error` is a stable tag for the JSON reply, `reason` a
/// sentence for people.
struct CommandError {
  const char* error;
  const char* reason;
};

/// Parses one line (without its newline). Words are separated by blanks; a PID is decimal
/// or 0x-prefixed hexadecimal. Fills `error` when it returns kBadFormat.
Result<Command> parse_command(std::string_view line, CommandError* error);

/// The command's name as the JSON replies show it ("ps", "run", ...).
const char* command_name(CommandKind kind);

}  // namespace atoll_os::servers::ctl
