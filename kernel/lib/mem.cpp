// memcpy, memset, memmove, memcmp and strlen for the kernel; the compiler emits calls to them.
#include <stddef.h>
#include <stdint.h>

// `rep movsb/stosb` are fast on every CPU with ERMSB and keep GCC from turning a byte loop
// back into a call to the very function being defined.
extern "C" {

// Quadwords first, then the tail: under QEMU's -icount every repetition counts as an
// instruction, and the IPC benchmark is measured there.
void* memcpy(void* dest, const void* src, size_t n) {
  void* d = dest;
  size_t words = n / 8, tail = n % 8;
  asm volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(words) : : "memory");
  asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(tail) : : "memory");
  return dest;
}

void* memset(void* dest, int value, size_t n) {
  void* d = dest;
  asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(value) : "memory");
  return dest;
}

void* memmove(void* dest, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dest);
  auto* s = static_cast<const uint8_t*>(src);
  if (d <= s || d >= s + n) return memcpy(dest, src, n);
  // Overlap with dest above src: copy backwards.
  d += n - 1;
  s += n - 1;
  asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return dest;
}

int memcmp(const void* a, const void* b, size_t n) {
  auto* x = static_cast<const uint8_t*>(a);
  auto* y = static_cast<const uint8_t*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

}  // extern "C"
