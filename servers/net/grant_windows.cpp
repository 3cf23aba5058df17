// A linear scan over a few dozen slots: taken once per stream, never on the data path.
#include "grant_windows.h"

namespace atoll_os::servers::net {

Result<uint64_t> GrantWindows::take() {
  for (size_t i = 0; i < kSlots; ++i) {
    if (!used_[i]) {
      used_[i] = true;
      return kGrantWindowBase + i * kGrantSlotBytes;
    }
  }
  return Err(Error::kOutOfMemory);
}

void GrantWindows::release(uint64_t address) {
  if (address < kGrantWindowBase) return;
  size_t i = (address - kGrantWindowBase) / kGrantSlotBytes;
  if (i < kSlots) used_[i] = false;
}

size_t GrantWindows::in_use() const {
  size_t n = 0;
  for (bool used : used_) n += used ? 1 : 0;
  return n;
}

}  // namespace atoll_os::servers::net
