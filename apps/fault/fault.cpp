// fault: reads an address no region covers, so the pager refuses the fault and the task
// is ended; the system test checks that the other processes keep running.
#include <stdint.h>

#include "atoll/user/print.h"

namespace {

// Below the heap and above any image, but inside no region: see abi/process.h.
constexpr uintptr_t kUnmappedAddress = 0xdead0000;

}  // namespace

int main(int, char**) {
  atoll_os::user::print("fault: reading 0x%lx\n", static_cast<unsigned long>(kUnmappedAddress));
  auto* pointer = reinterpret_cast<volatile uint64_t*>(kUnmappedAddress);
  uint64_t value = *pointer;
  // Reaching this line means the address was mapped after all: the test must fail.
  atoll_os::user::print("fault: survived the read (value 0x%llx)\n",
                        static_cast<unsigned long long>(value));
  return 1;
}
