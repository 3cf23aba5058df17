// The CPU features a process may rely on, as CPUID reports them, and the check that a
// destination offers every one (homogeneous migration, docs/migration.md).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string_view>

#include "atoll/protocols/pm.h"

namespace atoll_os::servers::migm {

/// CPUID leaf 1 (ecx, edx) and leaf 7 subleaf 0 (ebx, ecx): the feature flags; one type
/// with pm's per-process record.
using CpuFeatures = protocols::pm::CpuFeatures;

/// This CPU's features (cpuid; only on x86-64 guests).
CpuFeatures read_cpu_features();

/// Writes the names of the features `required` has and `offered` lacks into `out` (comma
/// separated, truncated to `capacity`); returns how many are missing.
size_t missing_features(const CpuFeatures& required, const CpuFeatures& offered, char* out,
                        size_t capacity);

/// The set holding only the feature `name` (as Linux names it: "avx2", "sse4_2"); false
/// for a name the table does not know.
bool feature_named(std::string_view name, CpuFeatures& only);

/// Writes the names of the features `features` has (comma separated, truncated to
/// `capacity`); returns how many it has.
size_t feature_names(const CpuFeatures& features, char* out, size_t capacity);

}  // namespace atoll_os::servers::migm
