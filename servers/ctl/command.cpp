// Splitting a command line into words and checking each command's arguments.
#include "command.h"

#include "../migm/cost_model.h"

#include "atoll/text.h"
#include "balancer_command.h"

namespace atoll_os::servers::ctl {
namespace {

using text::take_word;

// A PID: decimal or 0x hex; overflow is as malformed as junk.
Result<uint64_t> parse_number(std::string_view word) {
  auto number = text::parse_unsigned(word);
  if (!number.ok()) return Err(Error::kBadFormat);
  return number;
}

struct Usage {
  CommandKind kind;
  std::string_view word;
  size_t min_words;  // after the command word
  size_t max_words;
  const char* usage;
};

constexpr Usage kUsages[] = {
    {CommandKind::kPs, "ps", 0, 0, "usage: ps"},
    {CommandKind::kRun, "run", 1, 1 + kMaxRunArguments, "usage: run NAME [ARGUMENT...]"},
    {CommandKind::kKill, "kill", 1, 1, "usage: kill PID"},
    {CommandKind::kMigrate, "migrate", 2, 4, "usage: migrate PID NODE [STRATEGY [OBJECTIVE]]"},
    {CommandKind::kMem, "mem", 0, 0, "usage: mem"},
    {CommandKind::kStats, "stats", 0, 0, "usage: stats"},
    {CommandKind::kHelp, "help", 0, 0, "usage: help"},
    {CommandKind::kTrader, "trader", 1, 1, "usage: trader query [CONSTRAINT] | trader view"},
    {CommandKind::kMigration, "migration", 1, 1, "usage: migration ID"},
    {CommandKind::kBalancer, "balancer", 1, 1, kBalancerUsage},
};

// "trader view" or "trader query TEXT": the query is the rest of the line, blanks and all.
Result<Command> parse_trader(std::string_view rest, CommandError* error) {
  std::string_view action = text::take_word(rest);
  Command command{};
  command.kind = CommandKind::kTrader;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  if (action == "view" && rest.empty()) {
    command.trader_action = TraderAction::kView;
    return command;
  }
  if (action == "query" && rest.size() <= kTraderQueryMax) {
    command.trader_action = TraderAction::kQuery;
    command.text = rest;
    return command;
  }
  if (error != nullptr) {
    *error = {"bad_command", action == "query" ? "the query is longer than 255 characters"
                                               : "usage: trader query [CONSTRAINT] | trader view"};
  }
  return Err(Error::kBadFormat);
}

}  // namespace

const char* command_name(CommandKind kind) {
  for (const Usage& usage : kUsages) {
    if (usage.kind == kind) return usage.word.data();
  }
  return "?";
}

Result<Command> parse_command(std::string_view line, CommandError* error) {
  auto fail = [&](const char* tag, const char* reason) {
    if (error != nullptr) *error = {tag, reason};
    return Err(Error::kBadFormat);
  };
  std::string_view word = take_word(line);
  if (word.empty()) return fail("bad_command", "empty command");
  const Usage* usage = nullptr;
  for (const Usage& u : kUsages) {
    if (u.word == word) usage = &u;
  }
  if (usage == nullptr) return fail("bad_command", "unknown command; try help");
  if (usage->kind == CommandKind::kTrader) return parse_trader(line, error);
  if (usage->kind == CommandKind::kBalancer) return parse_balancer(line, error);
  std::string_view words[1 + kMaxRunArguments];
  size_t count = 0;
  for (word = take_word(line); !word.empty(); word = take_word(line)) {
    if (count == usage->max_words) return fail("bad_command", usage->usage);
    words[count++] = word;
  }
  if (count < usage->min_words) return fail("bad_command", usage->usage);
  Command command{};
  command.kind = usage->kind;
  if (command.kind == CommandKind::kRun) {
    command.name = words[0];
    if (command.name.size() >= protocols::pm::kModuleNameMax) {
      return fail("bad_command", "module name too long");
    }
    for (size_t i = 1; i < count; ++i) command.arguments[command.argument_count++] = words[i];
  } else if (command.kind == CommandKind::kMigration) {
    Result<uint64_t> id = parse_number(words[0]);
    if (!id.ok()) return fail("bad_command", "ID must be a decimal or 0x number");
    command.pid = *id;
  } else if (command.kind == CommandKind::kKill) {
    Result<uint64_t> pid = parse_number(words[0]);
    if (!pid.ok()) return fail("bad_command", "PID must be a decimal or 0x number");
    command.pid = *pid;
  } else if (command.kind == CommandKind::kMigrate) {
    Result<uint64_t> pid = parse_number(words[0]);
    Result<uint64_t> node = words[1] == "any" ? Result<uint64_t>(kAnyNode) : parse_number(words[1]);
    if (!pid.ok()) return fail("bad_command", "PID must be a decimal or 0x number");
    if (!node.ok() || (*node > protocols::pm::kMaxNode && *node != kAnyNode)) {
      return fail("bad_command", "NODE must be a node number");
    }
    command.pid = *pid;
    command.node = *node;
    command.strategy = protocols::migm::Strategy::kEager;
    char name[16] = {};
    if (count >= 3 && (words[2].size() >= sizeof(name) ||
                       (__builtin_memcpy(name, words[2].data(), words[2].size()),
                        !protocols::migm::parse_strategy(name, command.strategy)))) {
      return fail("bad_command",
                  "unknown strategy; the strategies: eager, precopy, lazy, postcopy, flush, "
                  "eager-dirty, auto");
    }
    if (count == 4) {
      char objective[16] = {};
      servers::migm::Objective parsed{};
      if (command.strategy != protocols::migm::Strategy::kAuto) {
        return fail("bad_command", "only auto takes an objective");
      }
      if (words[3].size() >= sizeof(objective) ||
          (__builtin_memcpy(objective, words[3].data(), words[3].size()),
           !servers::migm::parse_objective(objective, parsed))) {
        return fail("bad_command",
                    "unknown objective; the objectives: freeze, total, traffic, "
                    "no-residual");
      }
      command.objective = static_cast<uint32_t>(parsed);
    }
  }
  return command;
}

}  // namespace atoll_os::servers::ctl
