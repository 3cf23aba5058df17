// Printing a control-channel session.
#include "cli/control_session.h"

#include <cstdio>

namespace atoll_os::host::cli {

void print_json_line(const JsonValue& line, std::string_view prefix) {
  printf("%.*s%s\n", int(prefix.size()), prefix.data(), line.to_json().c_str());
  fflush(stdout);
}

void print_events(ControlChannel& control, std::string_view prefix) {
  control.poll();
  for (const JsonValue& event : control.events()) print_json_line(event, prefix);
  control.clear_events();
}

void print_events_for(ControlChannel& control, std::chrono::milliseconds linger,
                      std::string_view prefix) {
  const auto deadline = Clock::now() + linger;
  for (auto now = Clock::now(); now < deadline; now = Clock::now()) {
    auto event =
        control.next_event(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    if (!event) return;
    print_json_line(*event, prefix);
  }
}

}  // namespace atoll_os::host::cli
