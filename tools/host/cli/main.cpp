// atoll-host: boots, debugs, demonstrates and benchmarks Atoll nodes and runs clusters of
// them through the host library.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace atoll_os::host::cli;
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    fputs(usage_text(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  auto options = parse_options(std::vector<std::string>(argv + 2, argv + argc));
  if (!options) return report_usage(options.failure());

  if (command == "run") return run_node(*options);
  if (command == "debug") return debug_node(*options);
  if (command == "demo") return demo(*options);
  if (command == "bench") return bench(*options);
  if (command == "ctl") return ctl(*options);
  if (command == "cluster") return cluster(*options);
  if (command == "console") return console(*options);
  if (command == "migrate") return migrate(*options);
  if (command == "top") return top(*options);
  if (command == "balancer") return balancer(*options);
  fprintf(stderr, "atoll-host: unknown command '%s'\n%s", command.c_str(), usage_text());
  return 2;
}
