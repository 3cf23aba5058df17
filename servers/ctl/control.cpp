// The command thread: serial input → commands → calls to pm → one JSON line each; and
// pm's process events → exit lines.
#include "control.h"

#include "../lib/start_arguments.h"
#include "atoll/protocols/names.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "balancer_calls.h"
#include "command.h"
#include "replies.h"
#include "trader_commands.h"

namespace atoll_os::servers::ctl {
namespace {

namespace pm = protocols::pm;

// Wakes the command thread even without an interrupt: input that arrived before irq_bind,
// or an edge the PIC lost, is read within this time.
constexpr uint64_t kPollNs = 100'000'000;

// Output of one process line as an event (the sink of Control::lines; lock held).
void emit_output(void* context, uint64_t pid, std::string_view text) {
  auto& control = *static_cast<Control*>(context);
  JsonWriter json(control.event_buffer, sizeof(control.event_buffer));
  render_output(json, pid, text);
  if (!json.overflowed()) emit_locked(control, json.text());
}

void render_failure(Control& control, JsonWriter& json, const char* command, Error error) {
  const char* reason = control.pm.last_reason();
  render_error(json, command, error_name(error), reason[0] != '\0' ? reason : error_name(error));
}

void run_ps(Control& control, JsonWriter& json) {
  size_t count = 0;
  uint64_t after = 0;
  for (;;) {
    Result<pm::ListReply> page = control.pm.list({after});
    if (!page.ok()) return render_failure(control, json, "ps", page.error());
    for (uint32_t i = 0; i < page->count && count < kMaxListed; ++i) {
      control.entries[count++] = page->entries[i];
    }
    if (!page->more || page->count == 0 || count == kMaxListed) break;
    after = page->entries[page->count - 1].pid;
  }
  render_ps(json, control.entries, count);
}

void run_run(Control& control, const Command& command, JsonWriter& json) {
  pm::SpawnRequest request{};
  protocols::set_text(request.module, command.name.data(), command.name.size());
  if (!pack_spawn_arguments(command.arguments, command.argument_count, request).ok()) {
    return render_error(json, "run", "bad_command", "arguments too long");
  }
  Result<pm::SpawnReply> reply = control.pm.spawn(request);
  if (!reply.ok()) return render_failure(control, json, "run", reply.error());
  render_run(json, reply->pid, command.name);
}

// migm's endpoint from the name service, once.
Result<void> find_migm(Control& control) {
  if (control.migm.endpoint() != abi::kNoHandle) return success();
  protocols::names::Client names(user::process_start().names);
  protocols::names::NameRequest request{};
  protocols::set_text(request.name, "migm", 4);
  protocols::HandleSet handles;
  TRY(names.lookup(request, &handles));
  control.migm = protocols::migm::Client(handles.take(0));
  return success();
}

void run_migrate(Control& control, const Command& command, JsonWriter& json) {
  if (!find_migm(control).ok()) {
    return render_error(json, "migrate", "not_found", "no migration manager on this node");
  }
  uint64_t node = command.node;
  if (node == kAnyNode) {
    Result<uint32_t> chosen = choose_destination(control, command.pid, json);
    if (!chosen.ok()) return;  // the reply says why
    node = *chosen;
  }
  Result<protocols::migm::MigrationRecord> record = control.migm.migrate(
      {command.pid, static_cast<uint32_t>(node), command.strategy, command.objective, 0});
  if (!record.ok()) {
    return render_error(json, "migrate", error_name(record.error()), control.migm.last_reason());
  }
  render_migration(json, *record);
}

void execute(Control& control, const Command& command, JsonWriter& json) {
  switch (command.kind) {
    case CommandKind::kPs: return run_ps(control, json);
    case CommandKind::kRun: return run_run(control, command, json);
    case CommandKind::kKill: {
      Result<protocols::Empty> killed = control.pm.kill({command.pid, -1});
      if (!killed.ok()) return render_failure(control, json, "kill", killed.error());
      return render_kill(json, command.pid);
    }
    case CommandKind::kMigrate: return run_migrate(control, command, json);
    case CommandKind::kMigration: {  // a recent record, its residual dependency up to date
      if (!find_migm(control).ok()) {
        return render_error(json, "migration", "not_found", "no migration manager on this node");
      }
      Result<protocols::migm::MigrationRecord> record = control.migm.record({command.pid});
      if (!record.ok()) {
        return render_error(json, "migration", error_name(record.error()),
                            control.migm.last_reason());
      }
      return render_migration(json, *record);
    }
    case CommandKind::kMem: {
      Result<protocols::mm::Stats> stats = control.pm.memory({});
      if (!stats.ok()) return render_failure(control, json, "mem", stats.error());
      return render_mem(json, *stats);
    }
    case CommandKind::kStats: {
      Result<pm::StatsReply> stats = control.pm.stats({});
      if (!stats.ok()) return render_failure(control, json, "stats", stats.error());
      return render_stats(json, *stats);
    }
    case CommandKind::kHelp: return render_help(json);
    case CommandKind::kTrader: return run_trader(control, command, json);
    case CommandKind::kBalancer: return run_balancer(control, command, json);
  }
}

void answer_line(Control& control, std::string_view line) {
  JsonWriter json(control.reply_buffer, sizeof(control.reply_buffer));
  CommandError error{};
  Result<Command> command = parse_command(line, &error);
  if (command.ok()) {
    execute(control, *command, json);
  } else {
    render_error(json, nullptr, error.error, error.reason);
  }
  if (json.overflowed()) {
    json = JsonWriter(control.reply_buffer, sizeof(control.reply_buffer));
    render_error(json, nullptr, "too_long", "the reply does not fit ctl's buffer");
  }
  emit(control, json.text());
}

void drain_serial(Control& control) {
  char c;
  while (control.uart.read(&c)) {
    LineAssembler::Status status = control.assembler.push(c);
    if (status == LineAssembler::Status::kLine) {
      answer_line(control, control.assembler.line());
    } else if (status == LineAssembler::Status::kTooLong) {
      JsonWriter json(control.reply_buffer, sizeof(control.reply_buffer));
      render_error(json, nullptr, "line_too_long", "a command line holds at most 512 bytes");
      emit(control, json.text());
    }
  }
}

void drain_events(Control& control) {
  for (;;) {
    Result<pm::EventReply> event = control.pm.next_event({});
    if (!event.ok() || event->kind == pm::EventKind::kNone) return;
    user::LockGuard guard(control.output_lock);
    control.lines.flush(event->pid);  // its last words before its end
    JsonWriter json(control.event_buffer, sizeof(control.event_buffer));
    render_exit(json, *event);
    emit_locked(control, json.text());
  }
}

}  // namespace

Control::Control() : lines(&emit_output, this) {}

void emit_locked(Control& control, std::string_view json) {
  if (control.has_uart) {
    control.uart.write(json);
    control.uart.write("\n");
  } else {
    (void)user::debug_write(json.data(), json.size());
    (void)user::debug_write("\n", 1);
  }
}

void emit(Control& control, std::string_view json) {
  user::LockGuard guard(control.output_lock);
  emit_locked(control, json);
}

void command_thread(void* argument) {
  auto& control = *static_cast<Control*>(argument);
  for (;;) {
    Result<uint64_t> bits = user::notification_wait(control.notification, kPollNs);
    uint64_t pending = bits.ok() ? *bits : 0;
    if (control.has_uart) drain_serial(control);
    if (pending & kSerialBit) (void)user::irq_ack(control.irq);
    if ((pending & pm::kEventBit) || !bits.ok()) drain_events(control);
  }
}

}  // namespace atoll_os::servers::ctl
