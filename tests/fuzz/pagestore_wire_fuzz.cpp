// libFuzzer target for the page store's wire decoders and request path (docs/pagestore.md).
#include <stddef.h>
#include <stdint.h>

#include "pagestore_wire_fuzz_entry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  atoll_os::servers::pagestore::fuzz_pagestore_input(data, size);
  return 0;
}
