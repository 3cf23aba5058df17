// ctl's command language: one command per line from the host.
//   ps                 the processes
//   run NAME ARGS...   start boot module NAME with arguments
//   kill PID           end a process
//   migrate PID NODE [STRATEGY]
//                      move a process of this node to NODE (strategy eager by default)
//   mem                the node's memory
//   stats              process and CPU totals
//   help               the commands
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/protocols/migm.h"
#include "atoll/protocols/pm.h"
#include "atoll/result.h"

namespace atoll_os::servers::ctl {

inline constexpr size_t kMaxRunArguments = 32;

enum class CommandKind { kPs, kRun, kKill, kMigrate, kMem, kStats, kHelp };

struct Command {
  CommandKind kind;
  std::string_view name;  // kRun: the module
  std::string_view arguments[kMaxRunArguments];
  size_t argument_count;
  uint64_t pid;                        // kKill, kMigrate
  uint64_t node;                       // kMigrate
  protocols::migm::Strategy strategy;  // kMigrate
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
