// Medians of timed samples for user programs, which have no library to sort with.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::user {

/// Sorts `samples[0..n)` in place and returns the middle one (the upper of the two middle
/// ones for an even count); 0 for none. Insertion sort: meant for a few thousand samples.
inline uint64_t sort_and_median(uint64_t* samples, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = i; j > 0 && samples[j - 1] > samples[j]; --j) {
      uint64_t t = samples[j];
      samples[j] = samples[j - 1];
      samples[j - 1] = t;
    }
  }
  return n == 0 ? 0 : samples[n / 2];
}

}  // namespace atoll_os::user
