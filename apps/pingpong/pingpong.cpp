// pingpong [ROUNDS]: IPC round-trip cost between two threads of one task. A responder
// thread serves an endpoint; the main thread makes ROUNDS calls to it and prints round
// trips per second and the median round trip in TSC cycles.
//
// Two threads of one task, not two processes: a process can reach another only through the
// name service, and this keeps pingpong independent of it. If this task may not create
// threads (its self_task lacks kRightControl), pingpong says so and measures the nearest
// thing one thread can: a notification signal + wait pair on a private notification.
#include <stdint.h>

#include "atoll/user/clock.h"
#include "atoll/user/cstring.h"
#include "atoll/user/heap.h"
#include "atoll/user/ipc.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"
#include "atoll/user/syscalls.h"
#include "atoll/user/thread.h"

namespace atoll_os::apps {
namespace {

using user::print;

// pingpong's private protocol: the payload is a counter the responder increments.
constexpr uint64_t kPing = 1;
constexpr uint64_t kPong = 2;
constexpr uint64_t kDefaultRounds = 10000;
constexpr uint64_t kWarmupRounds = 100;

void responder(void* argument) {
  auto endpoint = *static_cast<abi::Handle*>(argument);
  auto served = user::serve(endpoint, [](abi::Message& message) {
    uint64_t value = 0;
    memcpy(&value, message.payload, sizeof(value));
    ++value;
    (void)user::set_message(message, kPong, &value, sizeof(value));
    return user::Disposition::kReply;
  });
  print("pingpong: responder stopped: %s\n", error_name(served.error()));
}

// One call; false if it failed or the reply is not the incremented value.
bool ping(abi::Handle endpoint, uint64_t value) {
  abi::Message message;
  if (!user::call(endpoint, kPing, &value, sizeof(value), message).ok()) return false;
  uint64_t answer = 0;
  memcpy(&answer, message.payload, sizeof(answer));
  return message.header.label == kPong && message.header.length == sizeof(answer) &&
         answer == value + 1;
}

// Rearranges `values` so that values[k] is the k-th smallest (quickselect, Hoare scheme).
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

void print_result(const char* mode, uint64_t rounds, uint64_t elapsed_ns, uint64_t* cycles) {
  uint64_t per_second = elapsed_ns == 0 ? 0 : rounds * 1'000'000'000 / elapsed_ns;
  uint64_t median = select_kth(cycles, rounds, rounds / 2);
  print("pingpong: %s: %llu round trips in %llu us: %llu round trips/s, median %llu cycles\n", mode,
        static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(elapsed_ns / 1000),
        static_cast<unsigned long long>(per_second), static_cast<unsigned long long>(median));
}

int measure_ipc(abi::Handle endpoint, uint64_t rounds, uint64_t* cycles) {
  for (uint64_t i = 0; i < kWarmupRounds; ++i) {
    if (!ping(endpoint, i)) {
      print("pingpong: warm-up call %llu failed\n", static_cast<unsigned long long>(i));
      return 1;
    }
  }
  uint64_t start = user::now_ns();
  for (uint64_t i = 0; i < rounds; ++i) {
    uint64_t before = user::read_tsc();
    bool ok = ping(endpoint, i);
    cycles[i] = user::read_tsc() - before;
    if (!ok) {
      print("pingpong: call %llu failed or got a wrong reply\n",
            static_cast<unsigned long long>(i));
      return 1;
    }
  }
  print_result("ipc call", rounds, user::now_ns() - start, cycles);
  return 0;
}

int measure_notification(uint64_t rounds, uint64_t* cycles) {
  auto notification = user::notification_create();
  if (!notification.ok()) {
    print("pingpong: notification_create: %s\n", error_name(notification.error()));
    return 1;
  }
  uint64_t start = user::now_ns();
  for (uint64_t i = 0; i < rounds; ++i) {
    uint64_t before = user::read_tsc();
    bool ok = user::notification_signal(*notification, 1).ok() &&
              user::notification_wait(*notification, user::kForever).ok();
    cycles[i] = user::read_tsc() - before;
    if (!ok) return 1;
  }
  print_result("notification signal+wait", rounds, user::now_ns() - start, cycles);
  return 0;
}

int run(uint64_t rounds) {
  auto* cycles = static_cast<uint64_t*>(malloc(rounds * sizeof(uint64_t)));
  static abi::Handle endpoint = abi::kNoHandle;  // static: the responder keeps a pointer to it
  auto created = user::endpoint_create();
  if (cycles == nullptr || !created.ok()) {
    print("pingpong: setup failed\n");
    return 1;
  }
  endpoint = *created;
  auto thread = user::spawn_thread(responder, &endpoint);
  if (!thread.ok()) {
    print("pingpong: no second thread (spawn_thread: %s); measuring one thread instead\n",
          error_name(thread.error()));
    return measure_notification(rounds, cycles);
  }
  return measure_ipc(endpoint, rounds, cycles);
}

}  // namespace
}  // namespace atoll_os::apps

int main(int argc, char** argv) {
  using namespace atoll_os;
  auto rounds = argc >= 2 ? user::parse_unsigned(argv[1]) : Result<uint64_t>(apps::kDefaultRounds);
  if (argc > 2 || !rounds.ok() || *rounds == 0 || *rounds > (uint64_t{1} << 28)) {
    user::print("usage: pingpong [ROUNDS, 1..2^28]\n");
    return 2;
  }
  return apps::run(*rounds);
}
