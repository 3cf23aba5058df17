// pingpong's server role (`pingpong --serve NAME`): finds the client through the name
// service, hands it an endpoint, and echoes its pings until it says stop.
#include <stdint.h>

#include "atoll/protocols/names.h"
#include "atoll/user/cstring.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "protocol.h"

namespace atoll_os::apps::pingpong {
namespace {

using abi::Handle;
using user::print;

// Handles that came with a message nobody expected to carry any: they are ours to close.
void close_received(const abi::Message& message) {
  uint32_t count = message.header.handle_count;
  if (count > abi::kMessageHandlesMax) count = abi::kMessageHandlesMax;
  for (uint32_t i = 0; i < count; ++i) (void)user::handle_close(message.header.handles[i]);
}

// The client's rendezvous endpoint, looked up under `name`; kNoHandle after printing why.
Handle find_client(const char* name) {
  protocols::names::Client names(user::process_start().names);
  protocols::names::NameRequest request{};
  if (!protocols::set_text(request.name, name, strlen(name))) {
    print("pingpong server: name '%s' is too long\n", name);
    return abi::kNoHandle;
  }
  protocols::HandleSet handles;
  Result<protocols::Empty> found = names.lookup(request, &handles);
  if (!found.ok()) {
    print("pingpong server: lookup '%s': %s (%s)\n", name, error_name(found.error()),
          names.last_reason());
    return abi::kNoHandle;
  }
  return handles.take(0);
}

// Calls the client with kHello and our endpoint; true if it accepted.
bool introduce(Handle client, Handle endpoint) {
  auto copy = user::handle_duplicate(endpoint, abi::kRightWrite | abi::kRightTransfer);
  if (!copy.ok()) {
    print("pingpong server: handle_duplicate: %s\n", error_name(copy.error()));
    return false;
  }
  Hello hello{user::process_start().pid};
  abi::Message message{};
  (void)user::set_message(message, kHello, &hello, sizeof(hello));
  message.header.handle_count = 1;
  message.header.handles[0] = *copy;  // moved to the client by the call
  Result<void> called = user::ipc_call(client, message);
  if (called.ok()) close_received(message);
  if (!called.ok() || message.header.label != kAccepted) {
    print("pingpong server: the client did not accept: %s\n",
          called.ok() ? "refused" : error_name(called.error()));
    return false;
  }
  return true;
}

// Answers the client's calls on `endpoint` until kStop. Receives without a timeout because
// only those receives take the kernel's reply-and-receive fastpath, which is what pingpong
// measures.
int answer(Handle endpoint) {
  alignas(kMessageAlignment) abi::Message message{};
  Result<void> received = user::ipc_recv(endpoint, message, user::kForever);
  for (;;) {
    if (!received.ok()) {
      print("pingpong server: receive: %s\n", error_name(received.error()));
      return 1;
    }
    close_received(message);
    uint64_t label = message.header.label;
    if (label == kPing && message.header.length == sizeof(uint64_t)) {
      uint64_t sequence = 0;
      memcpy(&sequence, message.payload, sizeof(sequence));
      (void)user::set_message(message, kAccepted, &sequence, sizeof(sequence));
    } else if (label == kStop) {
      (void)user::set_message(message, kAccepted, nullptr, 0);
      (void)user::ipc_reply(message);
      return 0;
    } else {
      (void)user::set_message(message, kRefused, nullptr, 0);
    }
    // A caller that died meanwhile is not this call's error: the kernel goes on receiving.
    received = user::ipc_reply_recv(endpoint, message, user::kForever);
  }
}

}  // namespace

int run_server(const char* name) {
  Handle client = find_client(name);
  if (client == abi::kNoHandle) return 1;
  auto endpoint = user::endpoint_create();
  if (!endpoint.ok()) {
    print("pingpong server: endpoint_create: %s\n", error_name(endpoint.error()));
    (void)user::handle_close(client);
    return 1;
  }
  bool introduced = introduce(client, *endpoint);
  (void)user::handle_close(client);  // the client's endpoint is only for the hello
  int code = introduced ? answer(*endpoint) : 1;
  (void)user::handle_close(*endpoint);
  return code;
}

}  // namespace atoll_os::apps::pingpong
