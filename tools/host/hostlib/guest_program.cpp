// GuestProgram's waits over ctl's events, run_program, and the key=value line parser.
#include "hostlib/guest_program.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace atoll_os::host {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

// This program's output or exit events, so that they are taken in the order ctl sent them.
EventFilter output_or_exit_of(uint64_t pid) {
  return [pid](const JsonValue& e) {
    return (is_event(e, "output") || is_event(e, "exit")) && e.uint64_at("pid") == pid;
  };
}

}  // namespace

HostResult<GuestProgram> GuestProgram::start(ControlChannel& ctl, std::string command_line,
                                             std::chrono::milliseconds reply_timeout) {
  JsonValue reply = HOST_TRY(ctl.command_ok("run " + command_line, reply_timeout));
  std::optional<uint64_t> pid = reply.uint64_at("pid");
  if (!pid) {
    return fail(Error::kBadFormat,
                "ctl's reply to 'run " + command_line + "' has no pid: " + reply.to_json());
  }
  return GuestProgram(ctl, std::move(command_line), *pid);
}

HostResult<void> GuestProgram::take_next(Clock::time_point deadline) {
  JsonValue event = HOST_TRY(ctl_->take_event(output_or_exit_of(pid_), until(deadline)));
  if (is_event(event, "output")) {
    const std::string* text = event.string_at("text");
    lines_.push_back(text != nullptr ? *text : std::string());
    return {};
  }
  const std::string* state = event.string_at("state");
  exit_ = ProgramExit{state != nullptr ? *state : std::string("?"),
                      event.int64_at("code").value_or(-1)};
  // ctl sends a program's last output before its exit; read what is already here, in case.
  while (auto late = ctl_->take_event(output_from(pid_), std::chrono::milliseconds(0))) {
    const std::string* text = late->string_at("text");
    lines_.push_back(text != nullptr ? *text : std::string());
  }
  return {};
}

void GuestProgram::follow_to(ControlChannel& ctl, std::chrono::milliseconds settle) {
  // Bounded by `settle` in all: a program that still runs on the old channel's node (this
  // was not its migration) must not keep the wait going for ever.
  const auto deadline = Clock::now() + settle;
  while (auto line = ctl_->take_event(output_from(pid_), until(deadline))) {
    const std::string* text = line->string_at("text");
    lines_.push_back(text != nullptr ? *text : std::string());
  }
  ctl_ = &ctl;
}

HostResult<std::string> GuestProgram::wait_for_line(const LogPattern& pattern,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    for (; searched_ < lines_.size(); ++searched_) {
      if (pattern.matches(lines_[searched_])) return lines_[searched_++];
    }
    if (exit_) {
      return fail(Error::kNotFound,
                  "no line matching " + pattern.describe() + " before the end of " + describe());
    }
    if (HostResult<void> next = take_next(deadline); !next) {
      return fail(next.error(), "waiting for a line matching " + pattern.describe() + ": " +
                                    next.failure().message + "; " + describe());
    }
  }
}

HostResult<ProgramExit> GuestProgram::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!exit_) {
    if (HostResult<void> next = take_next(deadline); !next) {
      return fail(next.error(),
                  "waiting for the end: " + next.failure().message + "; " + describe());
    }
  }
  return *exit_;
}

HostResult<ProgramExit> GuestProgram::kill(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ctl_->poll();
  const bool ended =
      exit_.has_value() || std::any_of(ctl_->events().begin(), ctl_->events().end(), exit_of(pid_));
  if (!ended) {
    // A refusal is no failure: the program may have ended since the poll.
    HostResult<JsonValue> reply = ctl_->command("kill " + std::to_string(pid_), timeout);
    if (!reply) return reply.failure();
  }
  return wait_exit(until(deadline));
}

std::optional<std::string> GuestProgram::last_line_with(std::string_view text) const {
  for (auto line = lines_.rbegin(); line != lines_.rend(); ++line) {
    if (line->find(text) != std::string::npos) return *line;
  }
  return std::nullopt;
}

std::string GuestProgram::describe(size_t last_lines) const {
  std::string text = "'" + command_line_ + "' (pid " + std::to_string(pid_) + ")";
  text += exit_ ? ", " + exit_->state + " with " + std::to_string(exit_->code) : ", running";
  text += "; " + std::to_string(lines_.size()) + " lines";
  const size_t first = lines_.size() > last_lines ? lines_.size() - last_lines : 0;
  if (first < lines_.size()) text += ", last:";
  for (size_t i = first; i < lines_.size(); ++i) text += "\n  | " + lines_[i];
  return text;
}

HostResult<ProgramRun> run_program(ControlChannel& ctl, std::string command_line,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  GuestProgram program = HOST_TRY(GuestProgram::start(ctl, std::move(command_line), timeout));
  HostResult<ProgramExit> exit = program.wait_exit(until(deadline));
  if (!exit) {
    // Leave nothing running behind a failed wait; the wait's failure is the one to report.
    (void)program.kill(std::chrono::seconds(10));
    return exit.failure();
  }
  return ProgramRun{program.command_line(), program.pid(), program.lines(), *exit};
}

KeyValueLine KeyValueLine::parse(std::string_view line) {
  KeyValueLine parsed;
  parsed.line_ = std::string(line);
  size_t start = 0;
  while (start < line.size()) {
    size_t end = std::min(line.find(' ', start), line.size());
    std::string_view word = line.substr(start, end - start);
    if (size_t eq = word.find('='); eq != std::string_view::npos && eq > 0) {
      parsed.values_[std::string(word.substr(0, eq))] = std::string(word.substr(eq + 1));
    }
    start = end + 1;
  }
  return parsed;
}

HostResult<std::string> KeyValueLine::text(std::string_view key) const {
  auto found = values_.find(key);
  if (found == values_.end()) {
    return fail(Error::kNotFound, "no " + std::string(key) + "= in '" + line_ + "'");
  }
  return found->second;
}

HostResult<uint64_t> KeyValueLine::unsigned_at(std::string_view key) const {
  const std::string value = HOST_TRY(text(key));
  const bool hex = value.size() > 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X');
  const char* first = value.data() + (hex ? 2 : 0);
  const char* last = value.data() + value.size();
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(first, last, number, hex ? 16 : 10);
  if (ec != std::errc() || end != last || first == last) {
    return fail(Error::kBadFormat, std::string(key) + "=" + value +
                                       " is not a 64-bit whole number in '" + line_ + "'");
  }
  return number;
}

HostResult<double> KeyValueLine::decimal_at(std::string_view key) const {
  const std::string value = HOST_TRY(text(key));
  const char* last = value.data() + value.size();
  double number = 0;
  auto [end, ec] = std::from_chars(value.data(), last, number, std::chars_format::fixed);
  // from_chars also takes a sign, "inf" and "nan", which no result line holds.
  const bool numeral =
      !value.empty() && (std::isdigit(static_cast<unsigned char>(value[0])) || value[0] == '.');
  if (!numeral || ec != std::errc() || end != last) {
    return fail(Error::kBadFormat,
                std::string(key) + "=" + value + " is not a decimal number in '" + line_ + "'");
  }
  return number;
}

}  // namespace atoll_os::host
