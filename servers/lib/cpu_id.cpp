// CPUID, for the servers.
#include "cpu_id.h"

namespace atoll_os::servers {

protocols::pm::CpuFeatures read_cpu_features() {
  uint32_t a, b, c, d;
  asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  protocols::pm::CpuFeatures f{c, d, 0, 0};
  asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
  if (a >= 7) {
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    f.leaf7_ebx = b;
    f.leaf7_ecx = c;
  }
  return f;
}

}  // namespace atoll_os::servers
