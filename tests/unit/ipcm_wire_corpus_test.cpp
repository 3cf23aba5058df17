// The fuzz target's entry point over a few hundred mutated valid frames, so that every build
// (gcc with ASan/UBSan included) runs what libFuzzer runs.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "ipcm_wire_fuzz_entry.h"
#include "ipcm_wire_samples.h"

namespace atoll_os::servers::ipcm {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes mutate(Bytes bytes, std::mt19937& random) {
  int edits = int(random() % 4) + 1;
  for (int i = 0; i < edits; ++i) {
    switch (random() % 4) {
      case 0:
        if (!bytes.empty()) bytes[random() % bytes.size()] ^= uint8_t(1u << (random() % 8));
        break;
      case 1:
        if (!bytes.empty()) bytes[random() % bytes.size()] = uint8_t(random());
        break;
      case 2: bytes.resize(random() % (bytes.size() + 1)); break;
      case 3: bytes.insert(bytes.begin() + long(random() % (bytes.size() + 1)), uint8_t(random()));
    }
  }
  return bytes;
}

TEST(IpcmWireCorpus, MutatedFramesAreRefusedOrRoundTrip) {
  std::mt19937 random(2024);
  size_t decoded = 0;
  for (int i = 0; i < 400; ++i) {
    wire::Kind kind = wire::Kind(i % wire::kKindLast + 1);
    Bytes input = mutate(wire::encoded(wire::sample_frame(kind)), random);
    fuzz_wire_input(input.data(), input.size());  // traps on a broken invariant
    wire::Frame frame;
    const char* reason = nullptr;
    decoded += wire::decode(input, frame, reason).ok();
  }
  // Mutations that keep a frame valid exist (payload bytes, ids), but most must be refused.
  EXPECT_GT(decoded, 0u);
  EXPECT_LT(decoded, 300u);
}

TEST(IpcmWireCorpus, ValidStreamsPassTheFramerCheck) {
  Bytes stream{7};  // the chunk-size byte
  for (wire::Kind kind : wire::every_kind()) {
    Bytes frame = wire::encoded(wire::sample_frame(kind));
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  fuzz_wire_input(stream.data(), stream.size());
}

}  // namespace
}  // namespace atoll_os::servers::ipcm
