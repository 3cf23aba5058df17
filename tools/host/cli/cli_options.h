// Command-line options shared by the atoll-host subcommands.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hostlib/host_result.h"
#include "hostlib/node_config.h"

namespace atoll_os::host::cli {

struct CliOptions {
  NodeConfig node;                           // --cmdline, --accel, --memory, --cpu, --qmp
  std::optional<std::string> name;           // --name; each command has its own default
  int runs = 5;                              // bench: --runs
  std::optional<std::filesystem::path> out;  // bench: --out
  std::chrono::seconds timeout{120};         // demo, bench: --timeout (per wait)
  uint16_t gdb_port = 1234;                  // debug: --gdb-port
  std::chrono::milliseconds linger{1000};    // ctl: --linger, events printed after the last reply
  std::vector<std::string> positional;       // e.g. "boot" of `bench boot`
};

/// Parses `--name value` and `--name=value` options; anything not starting with "--" is
/// positional. kInvalidArgument names the bad option.
HostResult<CliOptions> parse_options(const std::vector<std::string>& args);

/// The option summary printed by `atoll-host --help`.
const char* usage_text();

}  // namespace atoll_os::host::cli
