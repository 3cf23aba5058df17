// Field names and shapes of ctl's JSON lines (the host library parses these).
#include "replies.h"

namespace atoll_os::servers::ctl {
namespace {

template <size_t N>
std::string_view field_text(const char (&field)[N]) {
  return {field, protocols::text_length(field)};
}

JsonWriter& begin_ok(JsonWriter& json, const char* command) {
  return json.begin_object().field_bool("ok", true).field("cmd", command);
}

}  // namespace

const char* state_name(abi::TaskState state) {
  switch (state) {
    case abi::TaskState::kRunning: return "running";
    case abi::TaskState::kExited: return "exited";
    case abi::TaskState::kKilled: return "killed";
    case abi::TaskState::kFaulted: return "faulted";
  }
  return "unknown";
}

void render_error(JsonWriter& json, const char* command, std::string_view error,
                  std::string_view reason) {
  json.begin_object().field_bool("ok", false);
  if (command != nullptr) json.field("cmd", command);
  json.field("error", error).field("reason", reason).end_object();
}

void render_ps(JsonWriter& json, const protocols::pm::ProcessEntry* entries, size_t count) {
  begin_ok(json, "ps").begin_array("processes");
  for (size_t i = 0; i < count; ++i) {
    const protocols::pm::ProcessEntry& e = entries[i];
    json.begin_object()
        .field("pid", e.pid)
        .field("name", field_text(e.name))
        .field("parent", e.parent)
        .field("state", state_name(e.state))
        .field("threads", uint64_t{e.thread_count})
        .field("resident_pages", e.resident_pages)
        .field("cpu_ns", e.cpu_time_ns)
        .field_signed("exit_code", e.exit_code)
        .end_object();
  }
  json.end_array().end_object();
}

void render_run(JsonWriter& json, uint64_t pid, std::string_view name) {
  begin_ok(json, "run").field("pid", pid).field("name", name).end_object();
}

void render_kill(JsonWriter& json, uint64_t pid) {
  begin_ok(json, "kill").field("pid", pid).end_object();
}

void render_migration(JsonWriter& json, const protocols::migm::MigrationRecord& record) {
  bool ok = record.error == 0;
  json.begin_object().field_bool("ok", ok).field("cmd", "migrate");
  if (!ok) {
    json.field("error", error_name(static_cast<Error>(record.error)))
        .field("reason", std::string_view(record.reason));
  }
  if (ok && record.auto_chosen != 0) json.field("auto_reason", std::string_view(record.reason));
  json.field("pid", record.pid)
      .field("from", uint64_t{record.from_node})
      .field("to", uint64_t{record.to_node})
      .field("strategy", protocols::migm::strategy_name(record.strategy))
      .field("migration_id", record.migration_id)
      .field("total_ns", record.total_ns)
      .field("freeze_ns", record.freeze_ns)
      .field("negotiate_ns", record.negotiate_ns)
      .field("freeze_step_ns", record.freeze_step_ns)
      .field("memory_ns", record.memory_ns)
      .field("process_ns", record.process_ns)
      .field("ports_ns", record.ports_ns)
      .field("commit_ns", record.commit_ns)
      .field("release_ns", record.release_ns)
      .field("bytes_sent", record.bytes_sent)
      .field("pages_sent", record.pages_sent)
      .field("address_space_bytes", record.address_space_bytes)
      .field("rounds", record.rounds)
      .field("precopy_ns", record.precopy_ns)
      .field("residual_ms", record.residual_ms)
      .field("remote_faults", record.remote_faults)
      .field("remote_fault_ns", record.remote_fault_ns)
      .field_bool("residual_done", record.residual_done != 0)
      .end_object();
}

void render_mem(JsonWriter& json, const protocols::mm::Stats& stats) {
  begin_ok(json, "mem")
      .field("total_frames", stats.kernel.total_frames)
      .field("free_frames", stats.kernel.free_frames)
      .field("user_frames", stats.kernel.user_frames)
      .field("kernel_objects", stats.kernel.kernel_objects)
      .field("spaces", stats.spaces)
      .field("resident_pages", stats.resident_pages)
      .field("faults_resolved", stats.faults_resolved)
      .field("faults_refused", stats.faults_refused)
      .end_object();
}

void render_stats(JsonWriter& json, const protocols::pm::StatsReply& stats) {
  begin_ok(json, "stats")
      .field("uptime_ns", stats.uptime_ns)
      .field("processes_live", stats.processes_live)
      .field("processes_started", stats.processes_started)
      .field("processes_ended", stats.processes_ended)
      .field("cpu_ns", stats.cpu_time_ns)
      .field("context_switches", stats.context_switches)
      .field("events_dropped", stats.events_dropped)
      .field("migrating", stats.migrating)
      .end_object();
}

void render_help(JsonWriter& json) {
  begin_ok(json, "help").begin_array("commands");
  for (const char* usage :
       {"ps", "run NAME [ARGUMENT...]", "kill PID", "migrate PID NODE|any [STRATEGY]", "mem",
        "stats", "help", "trader query [CONSTRAINT] [prefer min|max ATTRIBUTE]", "trader view",
        "migration ID", "balancer status|on|off", "balancer set KEY=VALUE..."}) {
    json.string(usage);
  }
  json.end_array().end_object();
}

void render_output(JsonWriter& json, uint64_t pid, std::string_view text) {
  json.begin_object().field("event", "output").field("pid", pid).field("text", text).end_object();
}

void render_exit(JsonWriter& json, const protocols::pm::EventReply& event) {
  json.begin_object()
      .field("event", "exit")
      .field("pid", event.pid)
      .field("name", field_text(event.name))
      .field("state", state_name(event.state))
      .field_signed("code", event.exit_code)
      .field("fault_address", event.fault_address);
  if (event.dropped != 0) json.field("dropped", event.dropped);
  json.end_object();
}

void render_ready(JsonWriter& json, uint64_t node) {
  json.begin_object().field("event", "ready").field("node", node).end_object();
}

}  // namespace atoll_os::servers::ctl
