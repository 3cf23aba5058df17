// pingpong's private protocol between the measuring process (the client) and its peer (the
// server), and the two roles' entry points.
//
// The rendezvous: the client creates an endpoint, registers it with the name service as
// "pingpong.<client pid>" and has pm spawn `pingpong --serve NAME`. The server looks NAME
// up, creates its own endpoint and calls the client's with kHello, moving a handle to it.
// The client checks that the hello comes from the process it spawned, accepts, and lets go
// of the name. From then on the client calls the server: kPing any number of times, then
// kStop.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "atoll/abi/syscalls.h"

namespace atoll_os::apps::pingpong {

/// Request labels. Every request is a call: the caller waits for the reply.
inline constexpr uint64_t kHello = 1;  // server → client: Hello, one handle: the server's
                                       // endpoint (kRightWrite | kRightTransfer)
inline constexpr uint64_t kPing = 2;   // client → server: an 8-byte sequence number
inline constexpr uint64_t kStop = 3;   // client → server: no payload; the server replies
                                       // and exits 0

/// Reply labels. A kPing's kAccepted reply carries the request's 8 bytes back unchanged.
inline constexpr uint64_t kAccepted = 0;
inline constexpr uint64_t kRefused = 1;

struct Hello {
  uint64_t pid;  // the server's own PID, which the client compares with what pm told it
};
static_assert(sizeof(Hello) == 8);

/// Alignment for the messages of the timed round trips: a message that lies in one page is
/// one the kernel's IPC fastpath can take (kernel/object/ipc_fastpath.cpp), whatever the
/// stack depth.
inline constexpr size_t kMessageAlignment = sizeof(abi::Message);
static_assert(4096 % kMessageAlignment == 0);

inline constexpr char kNamePrefix[] = "pingpong.";
inline constexpr char kServeOption[] = "--serve";

/// The client: `rounds` timed round trips with a server it spawns; prints one summary line.
/// 0 only if every reply was right and the server exited 0.
int run_client(uint64_t rounds);

/// The server: finds the client under `name`, then answers until kStop. 0 after kStop.
int run_server(const char* name);

}  // namespace atoll_os::apps::pingpong
