// counter [N] [interval_ms]: prints an increasing counter and a running FNV-1a checksum of
// every value so far, one line per interval; N = 0 (the default) counts forever.
//
// All state is in the program's memory and the wait is relative, so a process migrated
// between two lines continues with the next value and the same checksum, whatever the
// destination node's clock says: the output shows a migration lost or repeated nothing.
#include <stdint.h>

#include "atoll/user/clock.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"

namespace atoll_os::apps {
namespace {

using user::print;

constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325;
constexpr uint64_t kFnvPrime = 0x100000001b3;
constexpr uint64_t kDefaultIntervalMs = 1000;

// FNV-1a over the eight little-endian bytes of `value`, continuing from `hash`.
uint64_t fnv1a(uint64_t hash, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    hash ^= (value >> (8 * i)) & 0xff;
    hash *= kFnvPrime;
  }
  return hash;
}

struct Counter {
  uint64_t value = 0;
  uint64_t checksum = kFnvOffsetBasis;
};

struct Options {
  uint64_t limit = 0;  // 0: forever
  uint64_t interval_ms = kDefaultIntervalMs;
};

bool parse_options(int argc, char** argv, Options& options) {
  if (argc > 3) return false;
  if (argc > 1) {
    auto limit = user::parse_unsigned(argv[1]);
    if (!limit.ok()) return false;
    options.limit = *limit;
  }
  if (argc > 2) {
    auto interval = user::parse_unsigned(argv[2]);
    if (!interval.ok()) return false;
    options.interval_ms = *interval;
  }
  return true;
}

Counter counter;  // global, not on the stack: plain data that migrates with the image

int run(const Options& options) {
  while (options.limit == 0 || counter.value < options.limit) {
    ++counter.value;
    counter.checksum = fnv1a(counter.checksum, counter.value);
    print("counter: %llu checksum 0x%016llx\n", static_cast<unsigned long long>(counter.value),
          static_cast<unsigned long long>(counter.checksum));
    if (options.limit != 0 && counter.value == options.limit) break;
    if (auto slept = user::sleep_ms(options.interval_ms); !slept.ok()) {
      print("counter: sleep failed: %s\n", error_name(slept.error()));
      return 1;
    }
  }
  print("counter: done after %llu, checksum 0x%016llx\n",
        static_cast<unsigned long long>(counter.value),
        static_cast<unsigned long long>(counter.checksum));
  return 0;
}

}  // namespace
}  // namespace atoll_os::apps

int main(int argc, char** argv) {
  atoll_os::apps::Options options;
  if (!atoll_os::apps::parse_options(argc, argv, options)) {
    atoll_os::user::print("usage: counter [N] [interval_ms]\n");
    return 2;
  }
  return atoll_os::apps::run(options);
}
