// Generates a protocol's labels, operation traits, client stub and server dispatch from its
// .def list. Included inside the protocol's namespace, after its message structs, with
// kProtocolId declared and ATOLL_PROTOCOL_DEF naming the list; no include guard on purpose.
//
// A .def list holds one line per operation:
//   ATOLL_MESSAGE(operation, name, Request, Reply, request_handles, reply_handles)
// operation: the number in the label (ABI: append, never renumber); Request/Reply: message
// structs (protocols::Empty for none); *_handles: the most handles each direction carries.

#ifndef ATOLL_PROTOCOL_DEF
#error "define ATOLL_PROTOCOL_DEF before including protocol_codegen.h"
#endif

/// The request labels of this protocol.
enum class Op : uint64_t {
#define ATOLL_MESSAGE(operation, name, Request, Reply, request_handles, reply_handles) \
  name = ::atoll_os::protocols::make_label(kProtocolId, operation),
#include ATOLL_PROTOCOL_DEF
#undef ATOLL_MESSAGE
};

/// Static description of one operation: its message types and handle limits.
template <Op kOp>
struct Operation;

#define ATOLL_MESSAGE(operation, op_name, RequestType, ReplyType, request_handles, reply_handles) \
  template <>                                                                                     \
  struct Operation<Op::op_name> {                                                                 \
    using Request = RequestType;                                                                  \
    using Reply = ReplyType;                                                                      \
    static constexpr uint64_t kLabel = static_cast<uint64_t>(Op::op_name);                        \
    static constexpr uint32_t kRequestHandles = request_handles;                                  \
    static constexpr uint32_t kReplyHandles = reply_handles;                                      \
    static constexpr const char* kName = #op_name;                                                \
    static_assert(::atoll_os::protocols::is_message_layout<RequestType>());                       \
    static_assert(::atoll_os::protocols::is_message_layout<ReplyType>());                         \
    static_assert(request_handles <= ::atoll_os::abi::kMessageHandlesMax);                        \
    static_assert(reply_handles <= ::atoll_os::abi::kMessageHandlesMax);                          \
    static_assert((operation) > 0 && (operation) <= 0xffff);                                      \
  };
#include ATOLL_PROTOCOL_DEF
#undef ATOLL_MESSAGE

/// The operation's name for logs, or nullptr if `label` is not one of this protocol's.
constexpr const char* operation_name(uint64_t label) {
  switch (label) {
#define ATOLL_MESSAGE(operation, name, Request, Reply, request_handles, reply_handles) \
  case static_cast<uint64_t>(Op::name):                                                \
    return #name;
#include ATOLL_PROTOCOL_DEF
#undef ATOLL_MESSAGE
  }
  return nullptr;
}

/// Typed calls to a server of this protocol over one endpoint handle. Each method sends the
/// handles in `*handles` (moved out of the caller) and, on success, leaves the reply's
/// handles there; `grant` shares pages with the server (operations that take one). After an error,
/// last_reason() says why, as the server put it.
class Client {
 public:
  Client() = default;
  explicit Client(::atoll_os::abi::Handle endpoint) : endpoint_(endpoint) {}

  ::atoll_os::abi::Handle endpoint() const { return endpoint_; }
  const char* last_reason() const { return reason_; }

#define ATOLL_MESSAGE(operation, name, Request, Reply, request_handles, reply_handles)  \
  ::atoll_os::Result<Reply> name(const Request& request,                                \
                                 ::atoll_os::protocols::HandleSet* handles = nullptr,   \
                                 const ::atoll_os::protocols::Grant* grant = nullptr) { \
    return ::atoll_os::protocols::client_call<Operation<Op::name>>(                     \
        endpoint_, Operation<Op::name>::kLabel, request, handles, reason_,              \
        ::atoll_os::protocols::request_length(request), grant);                         \
  }
#include ATOLL_PROTOCOL_DEF
#undef ATOLL_MESSAGE

 private:
  ::atoll_os::abi::Handle endpoint_ = ::atoll_os::abi::kNoHandle;
  char reason_[::atoll_os::protocols::kReasonMax] = {};
};

/// Answers the request in `message` in place: checks its length and handle count against
/// the operation, calls `handler.NAME(const Request&, Call&) -> Result<Reply>`, and writes
/// the reply or an error reply with a reason. `call` must come from begin_call(message).
/// Never trusts the request: unknown labels and malformed payloads get error replies.
/// Returns whether the loop must send `message` back (not for one-way operations).
template <typename Handler>
::atoll_os::protocols::Answer dispatch(Handler& handler, ::atoll_os::abi::Message& message,
                                       ::atoll_os::protocols::Call& call) {
  switch (message.header.label) {
#define ATOLL_MESSAGE(operation, name, Request, Reply, request_handles, reply_handles) \
  case Operation<Op::name>::kLabel:                                                    \
    return ::atoll_os::protocols::serve<Operation<Op::name>>(                          \
        message, call, [&](const Request& request) { return handler.name(request, call); });
#include ATOLL_PROTOCOL_DEF
#undef ATOLL_MESSAGE
    default: return ::atoll_os::protocols::reject_unknown(message);
  }
}

#undef ATOLL_PROTOCOL_DEF
