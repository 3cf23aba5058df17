// The atoll-host subcommands; each returns the tool's exit code.
#pragma once

#include "cli/cli_options.h"

namespace atoll_os::host::cli {

int run_node(const CliOptions& options);    // `run`: execs QEMU; returns only on failure
int debug_node(const CliOptions& options);  // `debug`
int demo(const CliOptions& options);        // `demo`
int bench(const CliOptions& options);       // `bench boot`, `bench ipc`
int ctl(const CliOptions& options);         // `ctl COMMAND...`
int cluster(const CliOptions& options);     // `cluster up|status|down`
int console(const CliOptions& options);     // `console NODE`
int migrate(const CliOptions& options);     // `migrate PID --to NODE`
int top(const CliOptions& options);         // `top [--once]`
int balancer(const CliOptions& options);    // `balancer status|on|off|set KEY=VALUE...`

/// Prints "atoll-host: <message>" to stderr and returns the failure exit code 1.
int report(const Failure& failure);
/// The same for a command used wrongly (bad option or argument): exit code 2.
int report_usage(const Failure& failure);

}  // namespace atoll_os::host::cli
