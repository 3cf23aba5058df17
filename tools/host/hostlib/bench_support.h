// What every benchmark shares: guest programs' result lines, a fresh cluster to measure on,
// medians, the numbers and strings of results.json and writing it.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hostlib/cluster.h"
#include "hostlib/cluster_config.h"
#include "hostlib/guest_program.h"
#include "hostlib/host_result.h"
#include "hostlib/node.h"

namespace atoll_os::host {

/// Replies to `run` and `kill`: ctl answers in milliseconds, TCG nodes share the cores.
inline constexpr std::chrono::milliseconds kBenchReplyWait = std::chrono::seconds(20);
/// Lines of each node's log in a failed benchmark's message.
inline constexpr size_t kBenchReportLines = 40;

/// The time left until `deadline`; 0 once it has passed.
std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline);

/// The result line of a program that exited with 0: its last line starting with `prefix`.
/// kBadFormat if it ended otherwise or printed no such line; the message quotes its output.
HostResult<KeyValueLine> result_line(const ProgramRun& run, std::string_view prefix);

/// result_line of a program already running, once it has exited within `timeout`; killed if
/// it does not.
HostResult<KeyValueLine> result_line_at_exit(GuestProgram& program, std::string_view prefix,
                                             std::chrono::milliseconds timeout);

/// Waits up to `timeout` for `program` to print a line containing `text` (a server saying
/// it is ready for clients); kills it if none comes.
HostResult<void> wait_until_ready(GuestProgram& program, const std::string& text,
                                  std::chrono::milliseconds timeout);

/// Keeps `node`'s run directory and appends its report to `failure`'s message.
Failure with_report(Node& node, const Failure& failure);
/// Keeps the cluster's run directories and appends every node's report to the message.
Failure with_report(Cluster& cluster, const Failure& failure);

/// Creates a cluster from `config`, starts it, waits up to `timeout` for every node and
/// runs `measure(cluster)`, a HostResult<Result>; sets the result's `accel`. On failure the
/// run directories are kept and the message ends with the nodes' reports.
template <typename Result, typename Measure>
HostResult<Result> measure_on_cluster(ClusterConfig config, std::chrono::milliseconds timeout,
                                      Measure measure) {
  std::unique_ptr<Cluster> cluster = HOST_TRY(Cluster::create(std::move(config)));
  HostResult<Result> result = [&]() -> HostResult<Result> {
    HOST_TRY(cluster->start());
    HOST_TRY(cluster->wait_ready(timeout));
    return measure(*cluster);
  }();
  if (!result) return with_report(*cluster, result.failure());
  result->accel = accel_name(cluster->config().accel);
  return result;
}

/// Median of `values` (mean of the middle two for an even count); 0 for none.
double median(std::vector<double> values);

/// `value` with `digits` digits after the point, as JSON and the one-line summaries print it.
std::string decimal_text(double value, int digits);
/// `text` as a JSON string, quotes and backslashes escaped.
std::string json_string(const std::string& text);

/// Writes `json` to `dir/results.json`, creating `dir`; the file's path.
HostResult<std::filesystem::path> write_results_json(const std::string& json,
                                                     const std::filesystem::path& dir);

}  // namespace atoll_os::host
