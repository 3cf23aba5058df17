// Feature flags by name, for refusals that say what is missing.
#include "cpu_features.h"

namespace atoll_os::servers::migm {
namespace {

enum class Word { kLeaf1Ecx, kLeaf1Edx, kLeaf7Ebx, kLeaf7Ecx };

struct NamedFeature {
  Word word;
  uint32_t bit;
  const char* name;
};

// The features a compiler may use behind a program's back, named as Linux names them.
constexpr NamedFeature kFeatures[] = {
    {Word::kLeaf1Edx, 0, "fpu"},        {Word::kLeaf1Edx, 15, "cmov"},
    {Word::kLeaf1Edx, 23, "mmx"},       {Word::kLeaf1Edx, 24, "fxsr"},
    {Word::kLeaf1Edx, 25, "sse"},       {Word::kLeaf1Edx, 26, "sse2"},
    {Word::kLeaf1Ecx, 0, "pni"},        {Word::kLeaf1Ecx, 1, "pclmulqdq"},
    {Word::kLeaf1Ecx, 9, "ssse3"},      {Word::kLeaf1Ecx, 12, "fma"},
    {Word::kLeaf1Ecx, 13, "cx16"},      {Word::kLeaf1Ecx, 19, "sse4_1"},
    {Word::kLeaf1Ecx, 20, "sse4_2"},    {Word::kLeaf1Ecx, 22, "movbe"},
    {Word::kLeaf1Ecx, 23, "popcnt"},    {Word::kLeaf1Ecx, 25, "aes"},
    {Word::kLeaf1Ecx, 26, "xsave"},     {Word::kLeaf1Ecx, 28, "avx"},
    {Word::kLeaf1Ecx, 29, "f16c"},      {Word::kLeaf1Ecx, 30, "rdrand"},
    {Word::kLeaf7Ebx, 3, "bmi1"},       {Word::kLeaf7Ebx, 5, "avx2"},
    {Word::kLeaf7Ebx, 8, "bmi2"},       {Word::kLeaf7Ebx, 9, "erms"},
    {Word::kLeaf7Ebx, 16, "avx512f"},   {Word::kLeaf7Ebx, 18, "rdseed"},
    {Word::kLeaf7Ebx, 19, "adx"},       {Word::kLeaf7Ebx, 29, "sha_ni"},
    {Word::kLeaf7Ecx, 1, "avx512vbmi"}, {Word::kLeaf7Ecx, 9, "vaes"},
};

uint32_t word_of(const CpuFeatures& f, Word word) {
  switch (word) {
    case Word::kLeaf1Ecx: return f.leaf1_ecx;
    case Word::kLeaf1Edx: return f.leaf1_edx;
    case Word::kLeaf7Ebx: return f.leaf7_ebx;
    case Word::kLeaf7Ecx: return f.leaf7_ecx;
  }
  return 0;
}

void append(char* out, size_t capacity, size_t& used, const char* text) {
  for (; *text != '\0' && used + 1 < capacity; ++text) out[used++] = *text;
  if (capacity > 0) out[used] = '\0';
}

uint32_t& word_ref(CpuFeatures& f, Word word) {
  switch (word) {
    case Word::kLeaf1Ecx: return f.leaf1_ecx;
    case Word::kLeaf1Edx: return f.leaf1_edx;
    case Word::kLeaf7Ebx: return f.leaf7_ebx;
    case Word::kLeaf7Ecx: break;
  }
  return f.leaf7_ecx;
}

}  // namespace

bool feature_named(std::string_view name, CpuFeatures& only) {
  only = {};
  for (const NamedFeature& feature : kFeatures) {
    if (name != feature.name) continue;
    word_ref(only, feature.word) = 1u << feature.bit;
    return true;
  }
  return false;
}

size_t feature_names(const CpuFeatures& features, char* out, size_t capacity) {
  size_t count = 0;
  size_t used = 0;
  if (capacity > 0) out[0] = '\0';
  for (const NamedFeature& feature : kFeatures) {
    if ((word_of(features, feature.word) & (1u << feature.bit)) == 0) continue;
    if (count++ > 0) append(out, capacity, used, ",");
    append(out, capacity, used, feature.name);
  }
  return count;
}

size_t missing_features(const CpuFeatures& required, const CpuFeatures& offered, char* out,
                        size_t capacity) {
  size_t missing = 0;
  size_t used = 0;
  if (capacity > 0) out[0] = '\0';
  for (const NamedFeature& feature : kFeatures) {
    uint32_t mask = 1u << feature.bit;
    bool needed = (word_of(required, feature.word) & mask) != 0;
    if (!needed || (word_of(offered, feature.word) & mask) != 0) continue;
    if (missing++ > 0) append(out, capacity, used, ",");
    append(out, capacity, used, feature.name);
  }
  return missing;
}

}  // namespace atoll_os::servers::migm
