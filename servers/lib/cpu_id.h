// This CPU's feature flags, read with CPUID (x86-64 guests only): what pm records for the
// processes it starts and what the trader advertises.
#pragma once

#include "atoll/protocols/pm.h"

namespace atoll_os::servers {

/// CPUID leaf 1 (ecx, edx) and leaf 7 subleaf 0 (ebx, ecx) of the CPU this runs on.
protocols::pm::CpuFeatures read_cpu_features();

}  // namespace atoll_os::servers
