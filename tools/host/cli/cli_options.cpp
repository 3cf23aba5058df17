// Parsing of atoll-host's options into a NodeConfig and per-command settings.
#include "cli/cli_options.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "hostlib/config_disk.h"
#include "hostlib/migration.h"
#include "hostlib/node_address.h"

namespace atoll_os::host::cli {
namespace {

// Options that take a value; checked before one is consumed, so a typo is named as such.
constexpr std::string_view kValueOptions[] = {
    "cmdline",  "accel",      "memory", "cpu",    "name", "runs", "out",
    "timeout",  "gdb-port",   "linger", "nodes",  "pcap", "to",   "from",
    "strategy", "strategies", "sizes",  "repeat", "dirty"};
constexpr std::string_view kPagestoreOptions[] = {"pagestore-node", "pagestore-pages",
                                                  "pagestore-disk"};

HostResult<long> parse_number(const std::string& name, const std::string& text, long min,
                              long max) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return fail(Error::kInvalidArgument, "--" + name + " wants a number from " +
                                             std::to_string(min) + " to " + std::to_string(max) +
                                             ", not '" + text + "'");
  }
  return value;
}

// Applies one option that takes a value.
HostResult<void> apply(CliOptions& o, const std::string& name, const std::string& value) {
  if (name == "cmdline") {
    o.node.cmdline = value;
  } else if (name == "accel") {
    if (value != "tcg" && value != "kvm") {
      return fail(Error::kInvalidArgument, "--accel is tcg or kvm, not '" + value + "'");
    }
    o.node.accel = value == "kvm" ? Accel::kKvm : Accel::kTcg;
  } else if (name == "memory") {
    o.node.memory = value;
  } else if (name == "cpu") {
    o.node.cpu = value;
  } else if (name == "name") {
    o.name = value;
  } else if (name == "runs") {
    o.runs = static_cast<int>(HOST_TRY(parse_number(name, value, 1, 1000)));
  } else if (name == "out") {
    o.out = value;
  } else if (name == "timeout") {
    o.timeout = std::chrono::seconds(HOST_TRY(parse_number(name, value, 1, 86400)));
  } else if (name == "linger") {
    o.linger = std::chrono::milliseconds(HOST_TRY(parse_number(name, value, 0, 3600000)));
  } else if (name == "nodes") {
    o.nodes = static_cast<unsigned>(HOST_TRY(parse_number(name, value, 1, kMaxClusterNodes)));
  } else if (name == "pcap") {
    o.pcap = value;
  } else if (name == "to" && value == "any") {
    o.to = kAnyNode;
  } else if (name == "to" || name == "from") {
    auto node = static_cast<unsigned>(HOST_TRY(parse_number(name, value, 0, kMaxClusterNodes - 1)));
    (name == "to" ? o.to : o.from) = node;
  } else if (name == "strategy") {
    o.strategy = value;
  } else if (name == "strategies") {
    o.strategies = value;
  } else if (name == "sizes") {
    o.sizes = value;
  } else if (name == "dirty") {
    o.dirty = value;
  } else if (name == "repeat") {
    o.repeat = static_cast<unsigned>(HOST_TRY(parse_number(name, value, 1, 100)));
  } else if (name == "pagestore-node") {
    o.pagestore_node =
        static_cast<unsigned>(HOST_TRY(parse_number(name, value, 0, kMaxClusterNodes - 1)));
  } else if (name == "pagestore-pages") {
    o.pagestore_pages = static_cast<uint64_t>(HOST_TRY(parse_number(name, value, 1, 1 << 20)));
  } else if (name == "pagestore-disk") {
    o.pagestore_disk = value;
  } else if (name == "gdb-port") {
    o.gdb_port = static_cast<uint16_t>(HOST_TRY(parse_number(name, value, 1, 65535)));
  } else {
    return fail(Error::kInvalidArgument, "unknown option --" + name);
  }
  return {};
}

}  // namespace

HostResult<CliOptions> parse_options(const std::vector<std::string>& args) {
  CliOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      o.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    if (name == "qmp") {
      o.node.qmp_socket = true;
      continue;
    }
    if (name == "once") {
      o.once = true;
      continue;
    }
    std::string value;
    const std::string key = name.substr(0, name.find('='));
    if (std::find(std::begin(kValueOptions), std::end(kValueOptions), key) ==
            std::end(kValueOptions) &&
        std::find(std::begin(kPagestoreOptions), std::end(kPagestoreOptions), key) ==
            std::end(kPagestoreOptions)) {
      return fail(Error::kInvalidArgument, "unknown option --" + key);
    }
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return fail(Error::kInvalidArgument, "--" + name + " needs a value");
    }
    HOST_TRY(apply(o, name, value));
  }
  return o;
}

HostResult<std::vector<std::string>> split_list(std::string_view text, std::string_view option) {
  std::vector<std::string> items;
  for (size_t start = 0;;) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma == start) {
      return fail(Error::kInvalidArgument,
                  "--" + std::string(option) + " has an empty item in '" + std::string(text) + "'");
    }
    items.emplace_back(text.substr(start, comma - start));
    if (comma == text.size()) return items;
    start = comma + 1;
  }
}

HostResult<std::vector<std::string>> split_cpu_list(std::string_view text) {
  std::vector<std::string> cpus;
  for (std::string& item : HOST_TRY(split_list(text, "cpu"))) {
    const bool feature = item[0] == '+' || item[0] == '-' || item.find('=') != std::string::npos;
    if (!feature) {
      cpus.push_back(std::move(item));
    } else if (cpus.empty()) {
      return fail(Error::kInvalidArgument,
                  "--cpu starts with the feature '" + item + "' before any CPU model");
    } else {
      cpus.back() += "," + item;
    }
  }
  return cpus;
}

HostResult<std::set<unsigned>> parse_node_set(std::string_view text, unsigned nodes) {
  std::set<unsigned> set;
  if (text == "all") {
    for (unsigned i = 0; i < nodes; ++i) set.insert(i);
    return set;
  }
  for (const std::string& item : HOST_TRY(split_list(text, "pcap"))) {
    const long node = HOST_TRY(parse_number("pcap", item, 0, static_cast<long>(nodes) - 1));
    set.insert(static_cast<unsigned>(node));
  }
  return set;
}

HostResult<ClusterConfig> cluster_config(const CliOptions& options) {
  HOST_TRY(validate_cmdline(options.node.cmdline));
  ClusterConfig config;
  config.nodes = options.nodes;
  config.accel = options.node.accel;
  config.cpu = HOST_TRY(split_cpu_list(options.node.cpu));
  config.memory = HOST_TRY(split_list(options.node.memory, "memory"));
  config.extra_cmdline = options.node.cmdline;
  if (options.pcap) config.pcap = HOST_TRY(parse_node_set(*options.pcap, options.nodes));
  config.pagestore_node = options.pagestore_node;
  config.pagestore_pages = options.pagestore_pages;
  config.pagestore_disk = options.pagestore_disk;
  HOST_TRY(validate(config));
  return config;
}

const char* usage_text() {
  return R"(usage: atoll-host COMMAND [OPTIONS]
commands:
  run                 boot one node; serial console on this terminal (Ctrl-A X quits)
  debug               boot one node paused at reset and attach gdb with the kernel's symbols
  demo                boot one node with exit_after_boot, stream its console, print its status
  bench boot          time QEMU start -> banner and -> "boot: complete" over several boots
  bench ipc           IPC round trip and null system call (instructions and ns)
  bench net           two-node cluster: TCP throughput, UDP and TCP round trips, raw frames
  bench rpc           two-node cluster: call round trips through ipcm on one node and between
                      nodes, one-way messages per second between nodes
  bench migrate [--strategies eager|all|S,S] [--sizes 100K,1M,...] [--dirty idle,moderate,heavy]
                [--repeat N]
                      two-node cluster: migrations of memtouch of each size and dirty rate
                      (idle 1, moderate 256, heavy 4096 pages/s), node 0 -> 1 (flush and
                      eager-dirty: a third node runs the page store); `all`: every
                      strategy, sizes 1M,16M,64M,256M, every dirty rate; nodes get enough
                      memory for the largest size unless --memory says; results.json,
                      summary.md and svg plots in --out (build/bench/migrate)
  bench pagestore     two-node cluster: put and get of 16 MiB of pages, node 1 -> the page
                      store on node 0 (MiB/s); results.json in --out (build/bench/pagestore)
  bench balance       four-node cluster: 8 cpuburn jobs on node 0, balancers off then on;
                      seconds, ratio, migrations in --out (build/bench/balance)
  ctl COMMAND...      boot one node, wait for its ctl server, send each argument as one
                      command (e.g. ps 'run hello' mem), print the JSON replies and events
                      (one object per line), stop the node; exit 1 if any reply is not ok
  cluster up          start a switch and --nodes N nodes that keep running after this
                      command; wait until every node's ctl answers; print where each is
  cluster status      which nodes run; each running node's answer to `stats`
  cluster down        stop every node and the switch
  console NODE        follow node NODE's console; typed lines go to its ctl (Ctrl-C quits)
  migrate PID --to NODE|any [--strategy eager] [--from NODE]
                      move a process of the running cluster to NODE (any: the least loaded
                      node offering every CPU feature the process may rely on, chosen by
                      the source's trader) and print its record; --strategy auto or
                      auto:OBJECTIVE (freeze, total, traffic, no-residual) lets the cost
                      model choose, and the record says what it chose and why
  top [--once]        the cluster as the traders see it: nodes, load, memory, processes
                      (refreshing every second; --once prints one snapshot)
  balancer status|on|off|set KEY=VALUE...
                      every running node's load balancer: state, on, off or parameters
node options:
  --cmdline "..."     kernel command line (no '"', '\', '$' or control characters)
  --accel tcg|kvm     accelerator (default tcg)
  --memory SIZE       guest memory (default 256M)
  --cpu MODEL         QEMU CPU model (default qemu64)
  --qmp               add a QMP socket qmp.sock in the run directory
  --name NAME         run directory prefix (default: the command's name)
cluster options (cluster up):
  --nodes N           number of nodes (default 3); node i is 10.77.0.<i+1>/24
  --cpu A,B,...       one CPU model for all nodes or one per node (features such as +x2apic
                      follow their model)
  --memory A,B,...    guest memory, one for all nodes or one per node
  --pcap all|N[,N]    capture these nodes' NIC traffic to net0.pcap in their run directories
  --cmdline "..."     words added to every node's command line
  --pagestore-node N  the node the page store serves on (default 0)
  --pagestore-pages P the store's memory bound in 4 KiB pages (default 16384, 64 MiB)
  --pagestore-disk F  attach raw image F to the store's node as its spill disk (virtio-blk)
command options:
  --gdb-port PORT     debug: gdb port on localhost (default 1234)
  --timeout SECONDS   demo, bench, ctl, cluster up: limit for each wait (default 120)
  --runs N            bench: number of boots (default 5)
  --out DIR           bench: where results.json goes (default <build>/bench/NAME)
  --linger MS         ctl: keep printing events this long after the last reply (default 1000)
)";
}

}  // namespace atoll_os::host::cli
