// Command-line options shared by the atoll-host subcommands.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hostlib/cluster_config.h"
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
  unsigned nodes = 3;                        // cluster up: --nodes
  std::optional<std::string> pcap;           // cluster up: --pcap all|N[,N...]
  std::optional<unsigned> to;                // migrate: --to NODE (kAnyNode: "any")
  std::optional<unsigned> from;              // migrate: --from NODE (else found by PID)
  std::string strategy = "eager";            // migrate: --strategy
  std::optional<std::string> strategies;     // bench migrate: --strategies eager|all
  std::optional<std::string> sizes;          // bench migrate: --sizes 100K,1M,...
  std::optional<std::string> dirty;          // bench migrate: --dirty idle,moderate,heavy
  unsigned repeat = 1;                       // bench migrate: --repeat
  bool once = false;                         // top: --once, one snapshot
  std::vector<std::string> positional;       // e.g. "boot" of `bench boot`
  // cluster up: --pagestore-node N, --pagestore-pages P, --pagestore-disk FILE
  unsigned pagestore_node = 0;
  uint64_t pagestore_pages = 0;
  std::optional<std::filesystem::path> pagestore_disk;
};

/// Parses `--name value` and `--name=value` options; anything not starting with "--" is
/// positional. kInvalidArgument names the bad option.
HostResult<CliOptions> parse_options(const std::vector<std::string>& args);

/// "a,b,c" as its items; kInvalidArgument (naming `option`) for an empty item.
HostResult<std::vector<std::string>> split_list(std::string_view text, std::string_view option);
/// A --cpu list: one CPU per node, comma-separated, where an item that starts with '+' or
/// '-' or holds '=' is a feature of the CPU before it, as QEMU writes them:
/// "max,+x2apic,qemu64" is {"max,+x2apic", "qemu64"}.
HostResult<std::vector<std::string>> split_cpu_list(std::string_view text);
/// A --pcap value: "all" or node numbers "N[,N...]" below `nodes`.
HostResult<std::set<unsigned>> parse_node_set(std::string_view text, unsigned nodes);
/// The cluster `cluster up` starts: --nodes, --accel, --cpu and --memory (a single value or
/// one per node), --pcap, and --cmdline as words added to every node's command line.
HostResult<ClusterConfig> cluster_config(const CliOptions& options);

/// The option summary printed by `atoll-host --help`.
const char* usage_text();

}  // namespace atoll_os::host::cli
