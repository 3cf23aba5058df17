// pingpong [ROUNDS]: the cost of an IPC round trip between two processes. pingpong spawns a
// second copy of itself as its peer (`pingpong --serve NAME`), the two meet through the name
// service, and the first makes ROUNDS timed call/reply round trips to the second, then
// prints one line:
//   pingpong: N round trips with pid P, median C TSC cycles, R round trips/s
// P is the peer; C the median of the per-call rdtsc differences; R the round trips divided
// by the wall-clock time (clock_ns) of the timed loop. Both processes exit 0 on success.
//
// Two processes rather than two threads of one: that is what an ordinary process can do
// (it may not create threads, since only pm-known threads can be migrated), and it is what
// IPC between servers and clients costs.
#include <stdint.h>

#include "atoll/user/cstring.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"
#include "protocol.h"

namespace {

constexpr uint64_t kDefaultRounds = 10000;
// Every round trip's time is kept for the median: 8 MiB at most.
constexpr uint64_t kMaxRounds = uint64_t{1} << 20;

}  // namespace

int main(int argc, char** argv) {
  using namespace atoll_os;
  if (argc == 3 && strcmp(argv[1], apps::pingpong::kServeOption) == 0) {
    return apps::pingpong::run_server(argv[2]);
  }
  auto rounds = argc >= 2 ? user::parse_unsigned(argv[1]) : Result<uint64_t>(kDefaultRounds);
  if (argc > 2 || !rounds.ok() || *rounds == 0 || *rounds > kMaxRounds) {
    user::print("usage: pingpong [ROUNDS, 1..%lu]\n", static_cast<unsigned long>(kMaxRounds));
    return 2;
  }
  return apps::pingpong::run_client(*rounds);
}
