// Invariants of the page store's decoders and request path over arbitrary bytes.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::servers::pagestore {

/// Feeds `data` to every decoder and, when the header decodes, through the store's request
/// path (a small store with a fake disk); traps on a broken invariant.
void fuzz_pagestore_input(const uint8_t* data, size_t size);

}  // namespace atoll_os::servers::pagestore
