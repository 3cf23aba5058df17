// Printing a control-channel session: replies and events, one JSON object per line.
#pragma once

#include <chrono>
#include <string_view>

#include "hostlib/node.h"

namespace atoll_os::host::cli {

/// Each reply normally comes in milliseconds; this is for a node under load.
inline constexpr auto kReplyTimeout = std::chrono::seconds(30);

/// Prints `line` as one JSON object on its own line, prefixed with `prefix`.
void print_json_line(const JsonValue& line, std::string_view prefix = "");
/// Prints and drops the events received so far.
void print_events(ControlChannel& control, std::string_view prefix = "");
/// Prints the events that arrive within `linger` (output of programs just started).
void print_events_for(ControlChannel& control, std::chrono::milliseconds linger,
                      std::string_view prefix = "");

}  // namespace atoll_os::host::cli
