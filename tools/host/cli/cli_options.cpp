// Parsing of atoll-host's options into a NodeConfig and per-command settings.
#include "cli/cli_options.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace atoll_os::host::cli {
namespace {

// Options that take a value; checked before one is consumed, so a typo is named as such.
constexpr std::string_view kValueOptions[] = {"cmdline", "accel", "memory",  "cpu",      "name",
                                              "runs",    "out",   "timeout", "gdb-port", "linger"};

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
    std::string value;
    const std::string key = name.substr(0, name.find('='));
    if (std::find(std::begin(kValueOptions), std::end(kValueOptions), key) ==
        std::end(kValueOptions)) {
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

const char* usage_text() {
  return R"(usage: atoll-host COMMAND [OPTIONS]
commands:
  run                 boot one node; serial console on this terminal (Ctrl-A X quits)
  debug               boot one node paused at reset and attach gdb with the kernel's symbols
  demo                boot one node with exit_after_boot, stream its console, print its status
  bench boot          time QEMU start -> banner and -> "boot: complete" over several boots
  bench ipc           IPC round trip and null system call (instructions and ns)
  ctl COMMAND...      boot one node, wait for its ctl server, send each argument as one
                      command (e.g. ps 'run hello' mem), print the JSON replies and events
                      (one object per line), stop the node; exit 1 if any reply is not ok
node options:
  --cmdline "..."     kernel command line (no '"', '\', '$' or control characters)
  --accel tcg|kvm     accelerator (default tcg)
  --memory SIZE       guest memory (default 256M)
  --cpu MODEL         QEMU CPU model (default qemu64)
  --qmp               add a QMP socket qmp.sock in the run directory
  --name NAME         run directory prefix (default: the command's name)
command options:
  --gdb-port PORT     debug: gdb port on localhost (default 1234)
  --timeout SECONDS   demo, bench, ctl: limit for each wait (default 120)
  --runs N            bench: number of boots (default 5)
  --out DIR           bench: where results.json goes (default <build>/bench/boot)
  --linger MS         ctl: keep printing events this long after the last reply (default 1000)
)";
}

}  // namespace atoll_os::host::cli
