// Message delivery: everything is checked first, then performed, so that a refused
// message changes nothing on either side.
#include "object/message_transfer.h"

#include "atoll/abi/process.h"
#include "mm/user_access.h"
#include "object/task.h"

namespace atoll_os::kernel {
namespace {

using abi::MessageHeader;
constexpr uint64_t kHeaderSize = sizeof(MessageHeader);
constexpr uint32_t kKnownFlags = abi::kMessageGrant | abi::kMessageGrantWritable;

uint64_t payload_length(const Thread& sender) {
  return sender.ipc.is_fault ? sizeof(abi::PageFault) : sender.ipc.header.length;
}

// Each handle the sender lists must be live and carry kRightTransfer.
Result<void> check_handles(Thread& sender) {
  const MessageHeader& h = sender.ipc.header;
  for (uint32_t i = 0; i < h.handle_count; ++i) {
    HandleEntry* e = TRY(sender.task()->handles().lookup(h.handles[i]));
    if (!(e->rights & abi::kRightTransfer)) return Err(Error::kAccessDenied);
    for (uint32_t j = 0; j < i; ++j) {
      if (h.handles[j] == h.handles[i]) return Err(Error::kInvalidArgument);  // moved twice
    }
  }
  return success();
}

// The granted pages must all be present in the sender, and the receiver's window must be
// large enough and empty.
Result<void> check_grant(Thread& sender, Thread& receiver, bool& receiver_fault) {
  const MessageHeader& h = sender.ipc.header;
  if (!(h.flags & abi::kMessageGrant)) return success();
  TRY(check_user_range(*sender.task(), h.grant_address, h.grant_length, false));
  const MessageHeader& window = receiver.ipc.header;
  if (window.grant_length < h.grant_length || window.grant_address % kPageSize != 0) {
    return Err(Error::kOutOfRange);
  }
  for (uint64_t off = 0; off < h.grant_length; off += kPageSize) {
    if (receiver.task()->page_table().translate(window.grant_address + off).ok()) {
      receiver_fault = true;
      return Err(Error::kAlreadyExists);
    }
  }
  return success();
}

// Moves the handles into the receiver's table; on failure removes those already added.
Result<void> move_handles(Thread& sender, Thread& receiver, MessageHeader& out) {
  HandleTable& from = sender.task()->handles();
  HandleTable& to = receiver.task()->handles();
  const MessageHeader& h = sender.ipc.header;
  for (uint32_t i = 0; i < h.handle_count; ++i) {
    HandleEntry* e = TRY(from.lookup(h.handles[i]));
    auto added = to.add(e->object, e->rights, e->badge, e->node);
    if (!added.ok()) {
      for (uint32_t j = 0; j < i; ++j) (void)to.remove(out.handles[j]);
      return Err(added.error());
    }
    out.handles[i] = *added;
  }
  for (uint32_t i = 0; i < h.handle_count; ++i) (void)from.remove(h.handles[i]);
  out.handle_count = h.handle_count;
  return success();
}

Result<void> map_grant(Thread& sender, Thread& receiver, MessageHeader& out) {
  const MessageHeader& h = sender.ipc.header;
  if (!(h.flags & abi::kMessageGrant)) return success();
  uint32_t flags = (h.flags & abi::kMessageGrantWritable) ? abi::kVmWrite : abi::kVmRead;
  uint64_t window = receiver.ipc.header.grant_address;
  TRY(receiver.task()->map_shared(*sender.task(), h.grant_address, window,
                                  h.grant_length / kPageSize, flags));
  out.flags |= h.flags & (abi::kMessageGrant | abi::kMessageGrantWritable);  // what was mapped
  out.grant_address = window;
  out.grant_length = h.grant_length;
  return success();
}

Result<void> copy_payload(Thread& sender, Thread& receiver) {
  uint64_t to = receiver.ipc.buffer + kHeaderSize;
  if (sender.ipc.is_fault) {
    return copy_to_user(*receiver.task(), to, &sender.ipc.fault, sizeof(abi::PageFault));
  }
  return copy_user_to_user(*receiver.task(), to, *sender.task(), sender.ipc.buffer + kHeaderSize,
                           sender.ipc.header.length);
}

}  // namespace

Result<void> validate_send_header(const MessageHeader& h) {
  if (h.length > abi::kMessagePayloadMax) return Err(Error::kInvalidArgument);
  if (h.handle_count > abi::kMessageHandlesMax) return Err(Error::kInvalidArgument);
  if (h.flags & ~kKnownFlags) return Err(Error::kInvalidArgument);
  if (h.flags & abi::kMessageGrant) {
    bool aligned = h.grant_address % kPageSize == 0 && h.grant_length % kPageSize == 0;
    bool inside = h.grant_length <= abi::kUserSpaceEnd &&
                  h.grant_address <= abi::kUserSpaceEnd - h.grant_length;
    if (!aligned || !inside || h.grant_length == 0) return Err(Error::kInvalidArgument);
  }
  return success();
}

bool within_one_page(uint64_t address, uint64_t length) {
  return address % kPageSize + length <= kPageSize;
}

// The common message — no handles, no grant, both buffers inside one page each — needs one
// lookup per side and no separate checking pass: nothing can fail half-way.
Result<bool> deliver_simple(Thread& sender, Thread& receiver, bool& receiver_fault) {
  const MessageHeader& h = sender.ipc.header;
  uint64_t length = h.length;
  if (sender.ipc.is_fault || h.handle_count != 0 || (h.flags & abi::kMessageGrant) ||
      !within_one_page(sender.ipc.buffer, kHeaderSize + length) ||
      !within_one_page(receiver.ipc.buffer, kHeaderSize + length)) {
    return false;
  }
  uint8_t* from = user_pointer(*sender.task(), sender.ipc.buffer, false);
  if (from == nullptr) return Err(Error::kInvalidArgument);
  uint8_t* to = user_pointer(*receiver.task(), receiver.ipc.buffer, true);
  if (to == nullptr) {
    receiver_fault = true;
    return Err(Error::kInvalidArgument);
  }
  MessageHeader out{};
  out.label = h.label;
  out.length = h.length;
  out.badge = sender.ipc.badge;
  __builtin_memmove(to + kHeaderSize, from + kHeaderSize, length);  // may overlap
  __builtin_memcpy(to, &out, sizeof(out));
  return true;
}

Result<void> deliver_message(Thread& sender, Thread& receiver, bool& receiver_fault) {
  receiver_fault = false;
  if (TRY(deliver_simple(sender, receiver, receiver_fault))) return success();
  uint64_t length = payload_length(sender);
  if (!sender.ipc.is_fault) {
    TRY(check_user_range(*sender.task(), sender.ipc.buffer + kHeaderSize, length, false));
    TRY(check_handles(sender));
    TRY(check_grant(sender, receiver, receiver_fault));
  }
  if (!check_user_range(*receiver.task(), receiver.ipc.buffer, kHeaderSize + length, true).ok()) {
    receiver_fault = true;
    return Err(Error::kInvalidArgument);
  }
  MessageHeader out{};
  out.label = sender.ipc.is_fault ? abi::kLabelPageFault : sender.ipc.header.label;
  out.length = uint32_t(length);
  out.badge = sender.ipc.badge;
  if (!sender.ipc.is_fault) {
    if (auto moved = move_handles(sender, receiver, out); !moved.ok()) {
      receiver_fault = true;  // the receiver's table is full
      return moved;
    }
    TRY(map_grant(sender, receiver, out));
  }
  TRY(copy_payload(sender, receiver));
  return copy_to_user(*receiver.task(), receiver.ipc.buffer, &out, sizeof(out));
}

}  // namespace atoll_os::kernel
