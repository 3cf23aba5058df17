// The CPU features a process may rely on, as CPUID reports them, and the check that a
// destination offers every one (homogeneous migration, docs/migration.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace atoll_os::servers::migm {

/// CPUID leaf 1 (ecx, edx) and leaf 7 subleaf 0 (ebx, ecx): the feature flags.
struct CpuFeatures {
  uint32_t leaf1_ecx;
  uint32_t leaf1_edx;
  uint32_t leaf7_ebx;
  uint32_t leaf7_ecx;
};

/// This CPU's features (cpuid; only on x86-64 guests).
CpuFeatures read_cpu_features();

/// Writes the names of the features `required` has and `offered` lacks into `out` (comma
/// separated, truncated to `capacity`); returns how many are missing.
size_t missing_features(const CpuFeatures& required, const CpuFeatures& offered, char* out,
                        size_t capacity);

}  // namespace atoll_os::servers::migm
