// CPU exceptions raised by user code: page faults go to the task's pager, the rest end it.
#pragma once

#include "arch/x86_64/interrupt_frame.h"

namespace atoll_os::kernel {

/// Handles an exception taken in user mode. Returns when the thread may resume (the pager
/// resolved the fault); otherwise the task has ended and the scheduler has moved on.
void handle_user_exception(x86_64::InterruptFrame& frame);

}  // namespace atoll_os::kernel
