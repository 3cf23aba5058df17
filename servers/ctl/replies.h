// The JSON objects ctl writes: one per command reply, one per event; one line each.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/protocols/migm.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/pm.h"
#include "json_writer.h"

namespace atoll_os::servers::ctl {

const char* state_name(abi::TaskState state);

/// {"ok":false,"cmd":CMD,"error":ERROR,"reason":REASON}; cmd omitted when null.
void render_error(JsonWriter& json, const char* command, std::string_view error,
                  std::string_view reason);
/// {"ok":true,"cmd":"ps","processes":[{"pid":..,"name":..,"parent":..,"state":..,
/// "threads":..,"resident_pages":..,"cpu_ns":..,"exit_code":..},...]}
void render_ps(JsonWriter& json, const protocols::pm::ProcessEntry* entries, size_t count);
void render_run(JsonWriter& json, uint64_t pid, std::string_view name);
void render_kill(JsonWriter& json, uint64_t pid);
/// The migration record: {"ok":true,"cmd":"migrate","pid":..,"from":..,"to":..,"strategy":..,
/// "total_ns":..,"freeze_ns":..,"negotiate_ns":..,"freeze_step_ns":..,"memory_ns":..,
/// "process_ns":..,"ports_ns":..,"commit_ns":..,"release_ns":..,"bytes_sent":..,"pages_sent":..,
/// "address_space_bytes":..}; a failed one has "ok":false, "error" and "reason" too.
void render_migration(JsonWriter& json, const protocols::migm::MigrationRecord& record);
void render_mem(JsonWriter& json, const protocols::mm::Stats& stats);
void render_stats(JsonWriter& json, const protocols::pm::StatsReply& stats);
void render_help(JsonWriter& json);
/// {"event":"output","pid":PID,"text":TEXT}
void render_output(JsonWriter& json, uint64_t pid, std::string_view text);
/// {"event":"exit","pid":..,"name":..,"state":..,"code":..,"fault_address":..[,"dropped":N]}
void render_exit(JsonWriter& json, const protocols::pm::EventReply& event);
/// {"event":"ready","node":N}: ctl listens from now on.
void render_ready(JsonWriter& json, uint64_t node);

}  // namespace atoll_os::servers::ctl
