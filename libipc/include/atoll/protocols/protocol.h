// The conventions every server protocol follows: labels, replies, handles, call context.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <concepts>
#include <type_traits>

#include "atoll/abi/syscalls.h"
#include "atoll/result.h"

namespace atoll_os::protocols {

using abi::Handle;
using abi::kMessageHandlesMax;
using abi::kMessagePayloadMax;
using abi::kNoHandle;

/// A request label is (protocol id << 16) | operation. Ids are ABI: append, never renumber.
/// 0 is never a request label, and no protocol id collides with abi::kLabelPageFault's.
constexpr uint64_t make_label(uint16_t protocol, uint16_t operation) {
  return (uint64_t{protocol} << 16) | operation;
}
inline constexpr uint16_t kNamesProtocol = 1;
inline constexpr uint16_t kProcessProtocol = 2;
inline constexpr uint16_t kMemoryProtocol = 3;
inline constexpr uint16_t kNetProtocol = 4;
inline constexpr uint16_t kIpcmProtocol = 5;
inline constexpr uint16_t kMigrationProtocol = 6;
inline constexpr uint16_t kTraderProtocol = 7;
inline constexpr uint16_t kBalancerProtocol = 8;
inline constexpr uint16_t kConsoleProtocol = 0xc001;  // kConsoleWrite = 0xc0010001

/// Reply labels: kReplyOk with the operation's reply payload, or a nonzero atoll_os::Error
/// value with an ErrorReply payload.
inline constexpr uint64_t kReplyOk = 0;

/// Badge of the handles that the system's own servers (init, pm) use towards other servers:
/// bit 63 is never set in a PID (nodes are below 2^15), so no process can hold this badge
/// unless one of them hands it out.
inline constexpr uint64_t kSystemBadge = 1ull << 63;

inline constexpr size_t kReasonMax = 120;

/// The payload of an error reply: the error and a short human-readable reason.
struct ErrorReply {
  int32_t error;  // atoll_os::Error
  uint32_t reserved;
  char reason[kReasonMax];  // NUL-terminated
};
static_assert(sizeof(ErrorReply) == 128);

/// A payload of zero bytes (C++ gives empty structs size 1, so the size is special-cased).
struct Empty {};

/// The reply type of a one-way operation: the client sends (ipc_send) and does not wait; the
/// server answers nothing, not even an error.
struct OneWay {};

template <typename T>
inline constexpr bool is_one_way = std::is_same_v<T, OneWay>;

/// Whether the server loop must reply to the message that dispatch() has just handled.
enum class Answer { kReply, kNone };

/// A request type with a variable-length tail declares the range of payload lengths,
/// [kMinimumSize, kMaximumSize] (its first kMaximumSize bytes are the wire format), and how
/// many bytes a client sends (`payload_length()`); the server reads the bytes not sent as
/// zero and finds the length in Call::length.
template <typename T>
concept VariableLength = requires(const T& t) {
  { T::kMinimumSize } -> std::convertible_to<size_t>;
  { T::kMaximumSize } -> std::convertible_to<size_t>;
  { t.payload_length() } -> std::convertible_to<size_t>;
};

/// The most bytes of T a message carries.
template <typename T>
constexpr size_t payload_size() {
  if constexpr (VariableLength<T>) {
    return T::kMaximumSize;
  } else {
    return std::is_empty_v<T> ? 0 : sizeof(T);
  }
}
template <typename T>
constexpr size_t minimum_payload_size() {
  if constexpr (VariableLength<T>) {
    return T::kMinimumSize;
  } else {
    return payload_size<T>();
  }
}

/// Layout rules every message struct obeys; checked once per operation by the generator.
template <typename T>
constexpr bool is_message_layout() {
  return std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T> &&
         payload_size<T>() <= kMessagePayloadMax && payload_size<T>() <= sizeof(T) &&
         minimum_payload_size<T>() <= payload_size<T>();
}

/// Up to kMessageHandlesMax handles travelling with a message.
struct HandleSet {
  Handle values[kMessageHandlesMax] = {};
  uint32_t count = 0;

  bool add(Handle h) {
    if (count == kMessageHandlesMax) return false;
    values[count++] = h;
    return true;
  }
  /// Takes handle `i` out of the set (the caller now owns it); kNoHandle if absent.
  Handle take(uint32_t i) {
    if (i >= count) return kNoHandle;
    Handle h = values[i];
    values[i] = kNoHandle;
    return h;
  }
};

/// Pages a request shares with the server (a page grant): where they landed in the server.
/// Only operations whose Request declares `static constexpr bool kTakesGrant = true` accept
/// one; a handler that keeps the pages sets `length` to 0, else the loop unmaps them.
struct Grant {
  uint64_t address = 0;
  uint64_t length = 0;  // bytes, a multiple of 4096; 0: none
  bool writable = false;
};

template <typename T>
constexpr bool takes_grant() {
  if constexpr (requires { T::kTakesGrant; }) {
    return T::kTakesGrant;
  } else {
    return false;
  }
}

/// What a handler sees of one request besides its payload, and what it adds to the reply.
/// Invariant after dispatch: `received` holds the handles the handler did not take and
/// `reply` those that were not sent; the server loop closes both (nothing leaks).
struct Call {
  uint64_t badge = 0;   // badge of the handle the caller used
  uint32_t length = 0;  // payload bytes received (meaningful for variable-length requests)
  HandleSet received;   // moved to us with the request
  HandleSet reply;      // moved to the caller with a successful reply
  Grant grant;          // pages the request shared with us, if any
  const char* reason = nullptr;

  /// Records why the request fails; `return call.fail(Error::kX, "why");` in a handler.
  Err fail(Error error, const char* why) {
    reason = why;
    return Err(error);
  }
};

/// Sends `message` as a call on `endpoint` and waits; the reply overwrites `message`.
/// User programs link the definitions over ipc_call and ipc_send
/// (libipc/src/protocols/transport.cpp); host tests link their own, which can route into a
/// server's dispatch.
Result<void> transport_call(Handle endpoint, abi::Message& message);
/// Sends `message` on `endpoint` without waiting for a reply (one-way operations).
Result<void> transport_send(Handle endpoint, const abi::Message& message);

namespace detail {

inline void copy_reason(char (&out)[kReasonMax], const char* text) {
  size_t n = 0;
  if (text != nullptr) {
    while (n + 1 < kReasonMax && text[n] != '\0') ++n;
    __builtin_memcpy(out, text, n);
  }
  out[n] = '\0';
}

/// Turns `message` into an error reply.
inline void write_error(abi::Message& message, Error error, const char* reason) {
  ErrorReply reply{};
  reply.error = static_cast<int32_t>(error);
  copy_reason(reply.reason, reason);
  message.header.label = static_cast<uint64_t>(error);
  message.header.length = sizeof(reply);
  message.header.handle_count = 0;
  message.header.flags = 0;
  __builtin_memcpy(message.payload, &reply, sizeof(reply));
}

/// Turns `message` into a successful reply carrying `reply` and the handles in call.reply.
template <typename Reply>
void write_reply(abi::Message& message, const Reply& reply, Call& call) {
  message.header.label = kReplyOk;
  message.header.length = payload_size<Reply>();
  message.header.flags = 0;
  if constexpr (payload_size<Reply>() != 0)
    __builtin_memcpy(message.payload, &reply, sizeof(Reply));
  message.header.handle_count = call.reply.count;
  for (uint32_t i = 0; i < call.reply.count; ++i) message.header.handles[i] = call.reply.take(i);
  call.reply.count = 0;
}

/// Why a request of this operation is malformed, or nullptr if its shape is right.
template <typename Operation>
const char* shape_error(const abi::Message& message) {
  using Request = typename Operation::Request;
  uint32_t length = message.header.length;
  if (length < minimum_payload_size<Request>() || length > payload_size<Request>()) {
    return VariableLength<Request> ? "request payload length out of range"
                                   : "request payload length does not match the operation";
  }
  if (message.header.handle_count > Operation::kRequestHandles) {
    return "request carries more handles than the operation takes";
  }
  constexpr uint32_t kGrantFlags = abi::kMessageGrant | abi::kMessageGrantWritable;
  if (message.header.flags & ~kGrantFlags) return "request carries unknown flags";
  if (message.header.flags != 0 && !takes_grant<Request>()) {
    return "request carries a page grant the operation refuses";
  }
  return nullptr;
}

}  // namespace detail

/// Fills `call` from a received message; every handle in it is now the call's to close.
inline void begin_call(const abi::Message& message, Call& call) {
  call = Call{};
  call.badge = message.header.badge;
  call.length = message.header.length;
  uint32_t handles = message.header.handle_count;
  if (handles > kMessageHandlesMax) handles = kMessageHandlesMax;
  for (uint32_t i = 0; i < handles; ++i) call.received.add(message.header.handles[i]);
  if (message.header.flags & abi::kMessageGrant) {
    call.grant = {message.header.grant_address, message.header.grant_length,
                  (message.header.flags & abi::kMessageGrantWritable) != 0};
  }
}

/// Validates the request in `message`, runs `handler` on a copy of it and overwrites
/// `message` with the reply. Malformed requests never reach the handler. One-way operations
/// get no reply, so a malformed one is dropped (the loop still closes its handles).
template <typename Operation, typename Handler>
Answer serve(abi::Message& message, Call& call, Handler&& handler) {
  using Request = typename Operation::Request;
  using Reply = typename Operation::Reply;
  constexpr Answer answer = is_one_way<Reply> ? Answer::kNone : Answer::kReply;
  if (const char* problem = detail::shape_error<Operation>(message)) {
    detail::write_error(message, Error::kInvalidArgument, problem);
    return answer;
  }
  Request request{};
  if constexpr (payload_size<Request>() != 0) {
    __builtin_memcpy(&request, message.payload, message.header.length);
  }
  Result<Reply> reply = handler(request);
  if (!reply.ok()) {
    detail::write_error(message, reply.error(),
                        call.reason ? call.reason : error_name(reply.error()));
    return answer;
  }
  if constexpr (!is_one_way<Reply>) detail::write_reply(message, reply.value(), call);
  return answer;
}

/// Answers a request whose label no operation of the protocol has. It may have been a
/// one-way send; replying then is harmless (nobody waits for it), so the loop replies.
inline Answer reject_unknown(abi::Message& message) {
  detail::write_error(message, Error::kNotSupported, "unknown operation");
  return Answer::kReply;
}

namespace detail {

inline Error error_from_label(uint64_t label) {
  if (label > 0xffff) return Error::kBadFormat;  // not an Error value: a confused server
  return static_cast<Error>(label);
}

}  // namespace detail

/// Decodes a reply message of `Operation` (split out of client_call for tests and servers
/// that send requests themselves).
template <typename Operation>
Result<typename Operation::Reply> decode_reply(const abi::Message& message, HandleSet* handles,
                                               char (&reason)[kReasonMax]) {
  using Reply = typename Operation::Reply;
  HandleSet arrived;
  uint32_t count = message.header.handle_count;
  if (count > kMessageHandlesMax) count = kMessageHandlesMax;
  for (uint32_t i = 0; i < count; ++i) arrived.add(message.header.handles[i]);
  if (handles != nullptr) *handles = arrived;
  if (message.header.label != kReplyOk) {
    if (message.header.length == sizeof(ErrorReply)) {
      ErrorReply error{};
      __builtin_memcpy(&error, message.payload, sizeof(error));
      error.reason[kReasonMax - 1] = '\0';
      detail::copy_reason(reason, error.reason);
    }
    return Err(detail::error_from_label(message.header.label));
  }
  if (message.header.length != payload_size<Reply>()) {
    detail::copy_reason(reason, "reply payload length does not match the operation");
    return Err(Error::kBadFormat);
  }
  Reply reply{};
  if constexpr (payload_size<Reply>() != 0)
    __builtin_memcpy(&reply, message.payload, sizeof(Reply));
  return reply;
}

/// Client side of one operation: encodes `request` and the handles in `handles`, calls, and
/// decodes the reply (its handles replace the set's contents). On an error reply the reason
/// is copied into `reason`. A one-way operation only sends. The handles sent are the
/// server's from then on, even when the call fails: the server closes what it does not keep.
/// `grant` (operations that take one) shares the caller's pages with the server.
template <typename Operation>
Result<typename Operation::Reply> client_call(Handle endpoint, uint64_t label,
                                              const typename Operation::Request& request,
                                              HandleSet* handles, char (&reason)[kReasonMax],
                                              uint32_t request_length,
                                              const Grant* grant = nullptr) {
  using Request = typename Operation::Request;
  abi::Message message{};
  message.header.label = label;
  message.header.length = request_length;
  if (grant != nullptr) {
    uint32_t writable = grant->writable ? uint32_t{abi::kMessageGrantWritable} : 0;
    message.header.flags = uint32_t{abi::kMessageGrant} | writable;
    message.header.grant_address = grant->address;
    message.header.grant_length = grant->length;
  }
  if constexpr (payload_size<Request>() != 0) {
    __builtin_memcpy(message.payload, &request, request_length);
  }
  if (handles != nullptr) {
    message.header.handle_count = handles->count;
    for (uint32_t i = 0; i < handles->count; ++i) message.header.handles[i] = handles->values[i];
    *handles = HandleSet{};
  }
  reason[0] = '\0';
  if constexpr (is_one_way<typename Operation::Reply>) {
    TRY(transport_send(endpoint, message));
    return OneWay{};
  } else {
    TRY(transport_call(endpoint, message));
    return decode_reply<Operation>(message, handles, reason);
  }
}

/// The payload length to send for `request`: the full struct, or for a variable-length
/// request the length it reports through `payload_length()`.
template <typename Request>
uint32_t request_length(const Request& request) {
  if constexpr (VariableLength<Request>) {
    size_t length = request.payload_length();
    return static_cast<uint32_t>(length > Request::kMaximumSize ? Request::kMaximumSize : length);
  } else {
    return static_cast<uint32_t>(payload_size<Request>());
  }
}

/// Copies a C string into a fixed char array field, always NUL-terminated; false if cut.
template <size_t N>
bool set_text(char (&field)[N], const char* text, size_t length) {
  size_t n = length < N - 1 ? length : N - 1;
  __builtin_memcpy(field, text, n);
  field[n] = '\0';
  return n == length;
}

/// Length of the text in a fixed char array field; N if it lacks a NUL terminator.
template <size_t N>
size_t text_length(const char (&field)[N]) {
  size_t n = 0;
  while (n < N && field[n] != '\0') ++n;
  return n;  // == N means unterminated
}

}  // namespace atoll_os::protocols
