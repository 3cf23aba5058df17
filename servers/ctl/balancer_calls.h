// ctl's calls to the balancer (found in the name service at first use).
#pragma once

#include "command.h"
#include "control.h"
#include "json_writer.h"

namespace atoll_os::servers::ctl {

/// `balancer status|on|off|set ...`: one JSON line with the status in force.
void run_balancer(Control& control, const Command& command, JsonWriter& json);

}  // namespace atoll_os::servers::ctl
