// Moving one message from a sender to a receiver: header, payload, handles, page grants.
#pragma once

#include "atoll/result.h"
#include "object/thread.h"

namespace atoll_os::kernel {

/// Checks a header a sender supplies: lengths, counts and flags within the ABI's bounds,
/// a page-aligned grant inside user space. Pure: no task state is read.
Result<void> validate_send_header(const abi::MessageHeader& header);

/// Delivers `sender`'s message (its ipc state: header, buffer, badge, or a fault) into
/// `receiver`'s buffer, with its handles moved and its grant mapped. Everything is checked
/// before anything changes. On error `receiver_fault` tells whose it is: the receiver's
/// (its buffer is unmapped, its window occupied, its table full) or the sender's (a bad
/// buffer, a handle it may not transfer, a grant larger than the window).
Result<void> deliver_message(Thread& sender, Thread& receiver, bool& receiver_fault);

}  // namespace atoll_os::kernel
