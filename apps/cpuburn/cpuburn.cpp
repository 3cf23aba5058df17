// cpuburn MILLIONS: a fixed amount of integer work (MILLIONS million steps of a 64-bit
// generator), then one line: the checksum (the generator's final state, in hex) and the
// elapsed milliseconds. The balance benchmark's CPU-bound job (docs/balancer.md).
//
// Migration-safe: all state is in the program's memory, and the elapsed time is summed
// chunk by chunk from this node's clock, so a chunk that spans a move to a node whose
// clock reads differently counts as long as the chunk before it.
#include <stdint.h>

#include "atoll/user/clock.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"

namespace atoll_os::apps {
namespace {

constexpr uint64_t kStepsPerChunk = 1'000'000;
constexpr uint64_t kMillionsMax = 1'000'000;
constexpr uint64_t kChunkJumpNs = 5'000'000'000;  // longer than this: a clock change, not work

/// One step of the work: a 64-bit linear congruential step, then an xor-shift.
uint64_t step(uint64_t x) {
  x = x * 6364136223846793005ull + 1442695040888963407ull;
  return x ^ (x >> 29);
}

struct Burn {
  uint64_t state = 0x243f6a8885a308d3ull;
  uint64_t done = 0;  // chunks
  uint64_t elapsed_ns = 0;
  uint64_t last_chunk_ns = 0;
};

Burn burn;  // global, not on the stack: plain data that migrates with the image

int run(uint64_t millions) {
  uint64_t before = user::now_ns();
  while (burn.done < millions) {
    uint64_t x = burn.state;
    for (uint64_t i = 0; i < kStepsPerChunk; ++i) x = step(x);
    burn.state = x;
    ++burn.done;
    uint64_t after = user::now_ns();
    uint64_t took = after - before;
    if (after < before || took > kChunkJumpNs) took = burn.last_chunk_ns;
    burn.last_chunk_ns = took;
    burn.elapsed_ns += took;
    before = after;
  }
  user::print("cpuburn: %lu million steps checksum %lx elapsed_ms %lu\n", millions, burn.state,
              burn.elapsed_ns / 1'000'000);
  return 0;
}

}  // namespace
}  // namespace atoll_os::apps

int main(int argc, char** argv) {
  using namespace atoll_os;
  if (argc != 2) {
    user::print("usage: cpuburn MILLIONS\n");
    return 2;
  }
  Result<uint64_t> millions = user::parse_unsigned(argv[1]);
  if (!millions.ok() || *millions == 0 || *millions > apps::kMillionsMax) {
    user::print("cpuburn: MILLIONS must be 1..%lu\n", apps::kMillionsMax);
    return 2;
  }
  return apps::run(*millions);
}
