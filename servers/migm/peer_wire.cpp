// Peer names.
#include "peer_wire.h"

namespace atoll_os::servers::migm {

void peer_name(uint32_t node, char* out) {
  const char prefix[] = "migm.";
  size_t n = 0;
  for (; prefix[n] != '\0'; ++n) out[n] = prefix[n];
  char digits[8];
  size_t d = 0;
  do {
    digits[d++] = static_cast<char>('0' + node % 10);
    node /= 10;
  } while (node != 0 && d < sizeof(digits));
  while (d > 0) out[n++] = digits[--d];
  out[n] = '\0';
}

}  // namespace atoll_os::servers::migm
