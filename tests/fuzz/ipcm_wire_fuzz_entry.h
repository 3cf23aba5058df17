// The one entry point that the libFuzzer target and the mutation-corpus ctest both drive.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::servers::ipcm {

/// Runs the frame decoder and the stream framer over `data` and checks what must hold for
/// any input: nothing is read outside it, a decoded frame encodes back to the same bytes,
/// and every frame the framer cuts out of a stream is exactly one header-announced length.
/// Traps on a broken invariant (so that libFuzzer and a ctest both notice).
void fuzz_wire_input(const uint8_t* data, size_t size);

}  // namespace atoll_os::servers::ipcm
