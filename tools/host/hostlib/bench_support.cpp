// Result lines, reports, medians and results.json for the benchmarks.
#include "hostlib/bench_support.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace atoll_os::host {

std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

HostResult<KeyValueLine> result_line(const ProgramRun& run, std::string_view prefix) {
  const auto named = [&] {
    return "'" + run.command_line + "' (pid " + std::to_string(run.pid) + ")";
  };
  const auto quoted = [&] {
    std::string text;
    for (const std::string& line : run.lines) text += "\n  | " + line;
    return text;
  };
  if (!run.exit.succeeded()) {
    return fail(Error::kBadFormat, named() + " " + run.exit.state + " with " +
                                       std::to_string(run.exit.code) + quoted());
  }
  for (auto line = run.lines.rbegin(); line != run.lines.rend(); ++line) {
    if (line->rfind(prefix, 0) == 0) return KeyValueLine::parse(*line);
  }
  return fail(Error::kBadFormat,
              named() + " printed no line starting '" + std::string(prefix) + "'" + quoted());
}

HostResult<KeyValueLine> result_line_at_exit(GuestProgram& program, std::string_view prefix,
                                             std::chrono::milliseconds timeout) {
  HostResult<ProgramExit> exit = program.wait_exit(timeout);
  if (!exit) {
    (void)program.kill(kBenchReplyWait);
    return exit.failure();
  }
  return result_line(ProgramRun{program.command_line(), program.pid(), program.lines(), *exit},
                     prefix);
}

HostResult<void> wait_until_ready(GuestProgram& program, const std::string& text,
                                  std::chrono::milliseconds timeout) {
  if (auto line = program.wait_for_line(LogPattern::substring(text), timeout); !line) {
    (void)program.kill(kBenchReplyWait);
    return line.failure();
  }
  return {};
}

Failure with_report(Node& node, const Failure& failure) {
  node.keep_run_dir();
  return fail(failure.error, failure.message + "\n" + node.failure_report(kBenchReportLines));
}

Failure with_report(Cluster& cluster, const Failure& failure) {
  cluster.keep_run_dirs();
  return fail(failure.error, failure.message + "\n" + cluster.failure_report(kBenchReportLines));
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string decimal_text(double value, int digits) {
  char buf[48];
  snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

HostResult<std::filesystem::path> write_results_json(const std::string& json,
                                                     const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Error::kAccessDenied, "cannot create " + dir.string() + ": " + ec.message());
  const std::filesystem::path file = dir / "results.json";
  std::ofstream out(file, std::ios::trunc);
  out << json;
  if (!out.flush()) return fail(Error::kAccessDenied, "cannot write " + file.string());
  return file;
}

}  // namespace atoll_os::host
