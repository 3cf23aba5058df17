// pingpong's client role: spawns its server, meets it through the name service, times
// call/reply round trips with it and prints the result.
//
// Both ends are ordinary processes. Neither can learn from the kernel that the other has
// gone (an endpoint has no peer-closed state, and ipc_call has no timeout), so the client,
// as the server's parent, ends the server on every way out that does not end in kStop.
// One case is left: if either is killed from outside while the other waits to receive
// from it (the server in its receive, the client in a call the server has not taken
// yet), the survivor waits for good and must be killed too. A client killed while the
// server owes it a reply, or a server killed while the client waits for one, is noticed.
#include <stdint.h>

#include "atoll/protocols/names.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/clock.h"
#include "atoll/user/cstring.h"
#include "atoll/user/heap.h"
#include "atoll/user/ipc.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "protocol.h"

namespace atoll_os::apps::pingpong {
namespace {

using abi::Handle;
using user::print;

constexpr char kModule[] = "pingpong";  // the server is a second copy of this program

// Untimed round trips first, so that the timed ones find both processes' pages present.
constexpr uint64_t kWarmupRounds = 100;
// How long the server may take to call after pm started it, and how often the client asks
// pm meanwhile whether it is still running.
constexpr uint64_t kHelloTimeoutNs = 10'000'000'000;
constexpr uint64_t kHelloPollNs = 250'000'000;
// How long the server may take to end after it answered kStop.
constexpr uint64_t kExitTimeoutNs = 10'000'000'000;

struct Session {
  protocols::pm::Client pm{user::process_start().process_manager};
  protocols::names::Client names{user::process_start().names};
  protocols::names::NameRequest name{};
  Handle rendezvous = abi::kNoHandle;  // ours; under `name` while `registered`
  bool registered = false;
  uint64_t server_pid = 0;  // 0: not spawned
  bool server_ended = false;
  Handle server = abi::kNoHandle;  // the server's endpoint, from its hello
};

// Creates the rendezvous endpoint and registers it as "pingpong.<our pid>".
bool open_rendezvous(Session& session) {
  char name[protocols::names::kNameMax];
  size_t length = user::format(name, sizeof(name), "%s%lu", kNamePrefix,
                               static_cast<unsigned long>(user::process_start().pid));
  (void)protocols::set_text(session.name.name, name, length);
  auto endpoint = user::endpoint_create();
  if (!endpoint.ok()) {
    print("pingpong: endpoint_create: %s\n", error_name(endpoint.error()));
    return false;
  }
  session.rendezvous = *endpoint;
  auto copy = user::handle_duplicate(session.rendezvous,
                                     abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer);
  if (!copy.ok()) {
    print("pingpong: handle_duplicate: %s\n", error_name(copy.error()));
    return false;
  }
  protocols::HandleSet handles;
  handles.add(*copy);  // the name service's from now on, even if it refuses
  if (auto registered = session.names.register_name(session.name, &handles); !registered.ok()) {
    print("pingpong: register '%s': %s (%s)\n", name, error_name(registered.error()),
          session.names.last_reason());
    return false;
  }
  session.registered = true;
  return true;
}

// Removes the name and closes the rendezvous endpoint: both have done their job.
void close_rendezvous(Session& session) {
  if (session.registered) {
    if (auto removed = session.names.unregister(session.name); !removed.ok()) {
      print("pingpong: unregister '%s': %s\n", session.name.name, error_name(removed.error()));
    }
    session.registered = false;
  }
  if (session.rendezvous != abi::kNoHandle) (void)user::handle_close(session.rendezvous);
  session.rendezvous = abi::kNoHandle;
}

bool spawn_server(Session& session) {
  protocols::pm::SpawnRequest request{};
  (void)protocols::set_text(request.module, kModule, sizeof(kModule) - 1);
  size_t option = sizeof(kServeOption);  // with its NUL
  size_t name = protocols::text_length(session.name.name) + 1;
  memcpy(request.arguments, kServeOption, option);
  memcpy(request.arguments + option, session.name.name, name);
  request.argument_count = 2;
  request.argument_bytes = static_cast<uint32_t>(option + name);
  auto spawned = session.pm.spawn(request);
  if (!spawned.ok()) {
    print("pingpong: spawn: %s (%s)\n", error_name(spawned.error()), session.pm.last_reason());
    return false;
  }
  session.server_pid = spawned->pid;
  return true;
}

// How the server ended, from pm (which then forgets it: we are its parent); kBusy while
// it runs. `notify`, if given, is moved to pm and signalled when the server ends.
Result<protocols::pm::WaitReply> server_status(Session& session, Handle notify) {
  protocols::HandleSet handles;
  if (notify != abi::kNoHandle) handles.add(notify);
  auto status = session.pm.wait({session.server_pid}, &handles);
  if (status.ok()) session.server_ended = true;
  return status;
}

const char* state_name(abi::TaskState state) {
  switch (state) {
    case abi::TaskState::kRunning: return "running";
    case abi::TaskState::kExited: return "exited";
    case abi::TaskState::kKilled: return "killed";
    case abi::TaskState::kFaulted: return "faulted";
  }
  return "in an unknown state";
}

void print_end(const protocols::pm::WaitReply& status) {
  print("pingpong: server pid %lu %s with code %ld\n", static_cast<unsigned long>(status.pid),
        state_name(status.state), static_cast<long>(status.exit_code));
}

// The hello in `message` if it is the one we wait for: from our server, with its endpoint.
bool take_hello(Session& session, const abi::Message& message) {
  Hello hello{};
  memcpy(&hello, message.payload, sizeof(hello));
  bool shaped = message.header.label == kHello && message.header.length == sizeof(hello) &&
                message.header.handle_count == 1 && hello.pid == session.server_pid;
  if (shaped) {
    auto info = user::handle_info(message.header.handles[0]);
    if (info.ok() && info->type == abi::ObjectType::kEndpoint &&
        (info->rights & abi::kRightWrite) != 0) {
      session.server = message.header.handles[0];
      return true;
    }
  }
  uint32_t count = message.header.handle_count;
  for (uint32_t i = 0; i < count && i < abi::kMessageHandlesMax; ++i) {
    (void)user::handle_close(message.header.handles[i]);
  }
  return false;
}

// Waits for our server's hello on the rendezvous endpoint and accepts it. Anyone may have
// looked the name up; other callers are refused and the wait goes on.
bool await_hello(Session& session) {
  uint64_t deadline = user::now_ns() + kHelloTimeoutNs;
  for (;;) {
    abi::Message message{};
    Result<void> received = user::ipc_recv(session.rendezvous, message, kHelloPollNs);
    if (received.ok()) {
      bool ours = take_hello(session, message);
      (void)user::set_message(message, ours ? kAccepted : kRefused, nullptr, 0);
      Result<void> replied = user::ipc_reply(message);
      if (ours && replied.ok()) return true;
      if (ours) {
        print("pingpong: the server went before the hello was answered\n");
        return false;
      }
      continue;
    }
    if (received.error() != Error::kTimedOut) {
      print("pingpong: receive: %s\n", error_name(received.error()));
      return false;
    }
    Result<protocols::pm::WaitReply> status = server_status(session, abi::kNoHandle);
    if (status.ok()) {
      print_end(*status);
      return false;
    }
    if (status.error() != Error::kBusy) {
      print("pingpong: wait: %s (%s)\n", error_name(status.error()), session.pm.last_reason());
      return false;
    }
    if (user::now_ns() > deadline) {
      print("pingpong: server pid %lu did not call within %lu s\n",
            static_cast<unsigned long>(session.server_pid),
            static_cast<unsigned long>(kHelloTimeoutNs / 1'000'000'000));
      return false;
    }
  }
}

// One round trip; false (after printing why) unless the reply echoes `sequence`.
bool ping(Handle server, uint64_t sequence) {
  alignas(kMessageAlignment) abi::Message message;
  Result<void> called = user::call(server, kPing, &sequence, sizeof(sequence), message);
  uint64_t echoed = 0;
  memcpy(&echoed, message.payload, sizeof(echoed));
  if (called.ok() && message.header.label == kAccepted && message.header.length == sizeof(echoed) &&
      message.header.handle_count == 0 && echoed == sequence) {
    return true;
  }
  if (!called.ok()) {
    print("pingpong: call %lu: %s\n", static_cast<unsigned long>(sequence),
          error_name(called.error()));
  } else {
    print("pingpong: call %lu: wrong reply (label %lu, %u bytes, %lu)\n",
          static_cast<unsigned long>(sequence), static_cast<unsigned long>(message.header.label),
          message.header.length, static_cast<unsigned long>(echoed));
  }
  return false;
}

struct Measurement {
  uint64_t elapsed_ns;
  uint64_t* cycles;  // one TSC difference per timed round trip
};

bool measure(Session& session, uint64_t rounds, Measurement& out) {
  for (uint64_t i = 0; i < kWarmupRounds; ++i) {
    if (!ping(session.server, i)) return false;
  }
  uint64_t start = user::now_ns();
  for (uint64_t i = 0; i < rounds; ++i) {
    uint64_t before = user::read_tsc();
    bool ok = ping(session.server, kWarmupRounds + i);
    out.cycles[i] = user::read_tsc() - before;
    if (!ok) return false;
  }
  out.elapsed_ns = user::now_ns() - start;
  return true;
}

// How the server ended, once it has: pm signals a notification then. kTimedOut if it
// has not ended within kExitTimeoutNs.
Result<protocols::pm::WaitReply> await_end(Session& session) {
  Handle ended = TRY(user::notification_create());
  // Write to signal it; transfer to move it to pm.
  Result<Handle> notify = user::handle_duplicate(ended, abi::kRightWrite | abi::kRightTransfer);
  Result<protocols::pm::WaitReply> status =
      notify.ok() ? server_status(session, *notify)
                  : Result<protocols::pm::WaitReply>(Err(notify.error()));
  bool busy = !status.ok() && status.error() == Error::kBusy;
  bool signalled = busy && user::notification_wait(ended, kExitTimeoutNs).ok();
  (void)user::handle_close(ended);
  if (!busy) return status;
  if (!signalled) return Err(Error::kTimedOut);
  return server_status(session, abi::kNoHandle);
}

// Sends kStop and waits for the server's end; true if it exited 0.
bool stop_server(Session& session) {
  abi::Message message;
  Result<void> called = user::call(session.server, kStop, nullptr, 0, message);
  if (!called.ok() || message.header.label != kAccepted) {
    print("pingpong: stop: %s\n", called.ok() ? "refused" : error_name(called.error()));
    return false;
  }
  Result<protocols::pm::WaitReply> status = await_end(session);
  if (!status.ok()) {
    print("pingpong: server pid %lu did not end: %s\n",
          static_cast<unsigned long>(session.server_pid), error_name(status.error()));
    return false;
  }
  if (status->state != abi::TaskState::kExited || status->exit_code != 0) {
    print_end(*status);
    return false;
  }
  return true;
}

// Lets go of everything the session holds; a server that was not stopped is killed.
void end_session(Session& session) {
  close_rendezvous(session);
  if (session.server != abi::kNoHandle) (void)user::handle_close(session.server);
  session.server = abi::kNoHandle;
  if (session.server_pid != 0 && !session.server_ended) {
    auto killed = session.pm.kill({session.server_pid, 1});
    if (!killed.ok() && killed.error() != Error::kNotFound) {  // kNotFound: it ended anyway
      print("pingpong: kill server pid %lu: %s\n", static_cast<unsigned long>(session.server_pid),
            error_name(killed.error()));
    }
  }
}

// Rearranges `values` so that values[k] is the k-th smallest (Hoare's FIND); returns it.
uint64_t select_kth(uint64_t* values, uint64_t count, uint64_t k) {
  uint64_t low = 0, high = count - 1;
  while (low < high) {
    uint64_t pivot = values[low + (high - low) / 2];
    uint64_t i = low, j = high;
    while (i <= j) {
      while (values[i] < pivot) ++i;
      while (values[j] > pivot) --j;
      if (i <= j) {
        uint64_t t = values[i];
        values[i++] = values[j];
        values[j] = t;
        if (j == 0) break;
        --j;
      }
    }
    if (k <= j) {
      high = j;
    } else if (k >= i) {
      low = i;
    } else {
      break;
    }
  }
  return values[k];
}

}  // namespace

int run_client(uint64_t rounds) {
  Measurement measurement{0, static_cast<uint64_t*>(malloc(rounds * sizeof(uint64_t)))};
  if (measurement.cycles == nullptr) {
    print("pingpong: no memory for %lu samples\n", static_cast<unsigned long>(rounds));
    return 1;
  }
  // Touched now, so that no page fault lands inside the timed loop.
  memset(measurement.cycles, 0, rounds * sizeof(uint64_t));
  Session session;
  bool ok = open_rendezvous(session) && spawn_server(session) && await_hello(session);
  close_rendezvous(session);
  ok = ok && measure(session, rounds, measurement) && stop_server(session);
  end_session(session);
  if (!ok) return 1;
  uint64_t median = select_kth(measurement.cycles, rounds, rounds / 2);
  uint64_t ns = measurement.elapsed_ns;
  uint64_t per_second = ns == 0 ? 0 : rounds * 1'000'000'000 / ns;
  print("pingpong: %lu round trips with pid %lu, median %lu TSC cycles, %lu round trips/s\n",
        static_cast<unsigned long>(rounds), static_cast<unsigned long>(session.server_pid),
        static_cast<unsigned long>(median), static_cast<unsigned long>(per_second));
  return 0;
}

}  // namespace atoll_os::apps::pingpong
