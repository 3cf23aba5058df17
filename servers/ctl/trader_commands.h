// ctl's trader commands, and the choice of a destination for `migrate PID any`.
#pragma once

#include "atoll/result.h"
#include "command.h"
#include "control.h"
#include "json_writer.h"

namespace atoll_os::servers::ctl {

/// `trader query ...` and `trader view`: one JSON reply in `json`.
void run_trader(Control& control, const Command& command, JsonWriter& json);

/// The node the trader prefers as a destination for process `pid` of this node: not this
/// node, offering every CPU feature pm records for the process, least loaded. On failure
/// the error reply is already in `json`.
Result<uint32_t> choose_destination(Control& control, uint64_t pid, JsonWriter& json);

}  // namespace atoll_os::servers::ctl
