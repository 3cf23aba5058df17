// The host side of migrations: ctl's `migrate` command and its record.
#include "hostlib/migration.h"

#include <cstdio>
#include <regex>

namespace atoll_os::host {
namespace {

constexpr std::chrono::seconds kPsWait{10};

HostResult<uint64_t> number_at(const JsonValue& reply, const char* key) {
  std::optional<uint64_t> value = reply.uint64_at(key);
  if (!value) {
    return fail(Error::kBadFormat,
                std::string("the migration record lacks \"") + key + "\": " + reply.to_json());
  }
  return *value;
}

std::string milliseconds(uint64_t ns) {
  char text[32];
  snprintf(text, sizeof text, "%.2f ms", static_cast<double>(ns) / 1e6);
  return text;
}

}  // namespace

HostResult<MigrationRecord> parse_migration_record(const JsonValue& reply) {
  MigrationRecord r;
  r.ok = reply.bool_at("ok").value_or(false);
  if (const std::string* error = reply.string_at("error")) r.error = *error;
  if (const std::string* reason = reply.string_at("reason")) r.reason = *reason;
  if (!reply.find("pid")) {
    // Refused before any migration began (bad request): no record, only the reason.
    if (r.ok || r.reason.empty()) {
      return fail(Error::kBadFormat, "a migrate reply without a record: " + reply.to_json());
    }
    return r;
  }
  r.pid = HOST_TRY(number_at(reply, "pid"));
  r.from = static_cast<unsigned>(HOST_TRY(number_at(reply, "from")));
  r.to = static_cast<unsigned>(HOST_TRY(number_at(reply, "to")));
  if (const std::string* strategy = reply.string_at("strategy")) r.strategy = *strategy;
  r.total_ns = HOST_TRY(number_at(reply, "total_ns"));
  r.freeze_ns = HOST_TRY(number_at(reply, "freeze_ns"));
  r.negotiate_ns = HOST_TRY(number_at(reply, "negotiate_ns"));
  r.freeze_step_ns = HOST_TRY(number_at(reply, "freeze_step_ns"));
  r.memory_ns = HOST_TRY(number_at(reply, "memory_ns"));
  r.process_ns = HOST_TRY(number_at(reply, "process_ns"));
  r.ports_ns = HOST_TRY(number_at(reply, "ports_ns"));
  r.commit_ns = HOST_TRY(number_at(reply, "commit_ns"));
  r.release_ns = HOST_TRY(number_at(reply, "release_ns"));
  r.bytes_sent = HOST_TRY(number_at(reply, "bytes_sent"));
  r.pages_sent = HOST_TRY(number_at(reply, "pages_sent"));
  r.address_space_bytes = HOST_TRY(number_at(reply, "address_space_bytes"));
  r.migration_id = HOST_TRY(number_at(reply, "migration_id"));
  r.rounds = HOST_TRY(number_at(reply, "rounds"));
  r.precopy_ns = HOST_TRY(number_at(reply, "precopy_ns"));
  r.residual_ms = HOST_TRY(number_at(reply, "residual_ms"));
  r.remote_faults = HOST_TRY(number_at(reply, "remote_faults"));
  r.remote_fault_ns = HOST_TRY(number_at(reply, "remote_fault_ns"));
  r.residual_done = reply.bool_at("residual_done").value_or(false);
  if (const std::string* why = reply.string_at("auto_reason")) r.auto_reason = *why;
  return r;
}

HostResult<MigrationRecord> migrate(ControlChannel& from, uint64_t pid, unsigned to,
                                    const std::string& strategy,
                                    std::chrono::milliseconds timeout) {
  char command[96];
  const std::string node = to == kAnyNode ? "any" : std::to_string(to);
  std::string words = strategy;  // "auto:total" names auto's objective: "auto total" to ctl
  if (size_t colon = words.find(':'); colon != std::string::npos) words[colon] = ' ';
  snprintf(command, sizeof command, "migrate 0x%llx %s %s", static_cast<unsigned long long>(pid),
           node.c_str(), words.c_str());
  JsonValue reply = HOST_TRY(from.command(command, timeout));
  return parse_migration_record(reply);
}

HostResult<MigrationRecord> migration_record(ControlChannel& from, uint64_t migration_id,
                                             std::chrono::milliseconds timeout) {
  JsonValue reply = HOST_TRY(from.command("migration " + std::to_string(migration_id), timeout));
  return parse_migration_record(reply);
}

bool runs_process(ControlChannel& control, uint64_t pid) {
  HostResult<JsonValue> ps = control.command_ok("ps", kPsWait);
  const JsonValue* processes = ps ? ps->find("processes") : nullptr;
  if (processes == nullptr) return false;
  for (const JsonValue& process : processes->items()) {
    const std::string* state = process.string_at("state");
    if (process.uint64_at("pid") == pid && state != nullptr && *state == "running") return true;
  }
  return false;
}

HostResult<uint64_t> check_counter_lines(const std::vector<std::string>& lines) {
  static const std::regex kLine(R"(counter: (\d+) checksum 0x([0-9a-f]{16}))");
  constexpr uint64_t kFnvPrime = 0x100000001b3;
  uint64_t expected = 0;
  uint64_t checksum = 0xcbf29ce484222325;  // FNV-1a's offset basis
  for (const std::string& line : lines) {
    std::smatch m;
    if (!std::regex_match(line, m, kLine)) continue;
    ++expected;
    for (int i = 0; i < 8; ++i) {
      checksum ^= (expected >> (8 * i)) & 0xff;
      checksum *= kFnvPrime;
    }
    if (std::stoull(m[1]) != expected || std::stoull(m[2], nullptr, 16) != checksum) {
      return fail(Error::kBadFormat, "counter's sequence breaks at '" + line + "' (value " +
                                         std::to_string(expected) + " expected)");
    }
  }
  return expected;
}

std::string describe(const MigrationRecord& r) {
  char head[96];
  snprintf(head, sizeof head, "pid 0x%llx %u -> %u %s", static_cast<unsigned long long>(r.pid),
           r.from, r.to, r.strategy.c_str());
  if (!r.ok) return std::string(head) + " refused: " + r.reason;
  char tail[160];
  snprintf(tail, sizeof tail, ": total %s, frozen %s, %llu bytes (%llu pages)",
           milliseconds(r.total_ns).c_str(), milliseconds(r.freeze_ns).c_str(),
           static_cast<unsigned long long>(r.bytes_sent),
           static_cast<unsigned long long>(r.pages_sent));
  std::string text = std::string(head) + tail;
  if (!r.auto_reason.empty()) text += " (auto: " + r.auto_reason + ")";
  return text;
}

}  // namespace atoll_os::host
