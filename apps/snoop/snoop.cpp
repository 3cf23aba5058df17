// snoop ADDRESS: reads ADDRESS in its own address space, hoping to see another process's
// memory there; an address mapped only in that other process faults and ends snoop.
#include <stdint.h>

#include "atoll/user/parse.h"
#include "atoll/user/print.h"

int main(int argc, char** argv) {
  using atoll_os::user::print;
  auto address = argc == 2
                     ? atoll_os::user::parse_unsigned(argv[1])
                     : atoll_os::Result<uint64_t>(atoll_os::Err(atoll_os::Error::kInvalidArgument));
  if (!address.ok()) {
    print("usage: snoop ADDRESS (decimal or 0x...)\n");
    return 2;
  }
  print("snoop: reading 0x%llx\n", static_cast<unsigned long long>(*address));
  auto* pointer = reinterpret_cast<volatile uint64_t*>(static_cast<uintptr_t>(*address));
  uint64_t value = *pointer;
  // Still alive: the address is in snoop's own space (its image, heap or stack), so what
  // was read is snoop's memory, never the other process's.
  print("snoop: 0x%llx holds 0x%016llx (this process's own memory)\n",
        static_cast<unsigned long long>(*address), static_cast<unsigned long long>(value));
  return 0;
}
