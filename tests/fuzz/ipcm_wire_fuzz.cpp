// libFuzzer target for the ipcm wire decoder and stream framer (docs/ipcm.md, "Fuzzing").
#include <stddef.h>
#include <stdint.h>

#include "ipcm_wire_fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  atoll_os::servers::ipcm::fuzz_wire_input(data, size);
  return 0;
}
