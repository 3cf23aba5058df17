// The C string functions beyond the mem* ones (those come from kernel/lib/mem.cpp), and atoi.
#include "atoll/user/cstring.h"

extern "C" {

size_t strnlen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') ++n;
  return n;
}

int strcmp(const char* a, const char* b) {
  for (;; ++a, ++b) {
    auto x = static_cast<unsigned char>(*a);
    auto y = static_cast<unsigned char>(*b);
    if (x != y) return x < y ? -1 : 1;
    if (x == '\0') return 0;
  }
}

int strncmp(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
    if (x == '\0') return 0;
  }
  return 0;
}

// C: the terminating NUL is part of the string, so strchr(s, 0) finds it.
char* strchr(const char* s, int c) {
  const char wanted = static_cast<char>(c);
  for (;; ++s) {
    if (*s == wanted) return const_cast<char*>(s);
    if (*s == '\0') return nullptr;
  }
}

char* strrchr(const char* s, int c) {
  const char wanted = static_cast<char>(c);
  const char* found = nullptr;
  for (;; ++s) {
    if (*s == wanted) found = s;
    if (*s == '\0') return const_cast<char*>(found);
  }
}

// From <stdlib.h>, for lwIP's netif_find. Overflow is undefined in C; here it wraps.
int atoi(const char* s) {
  while (*s == ' ' || (*s >= '\t' && *s <= '\r')) ++s;
  bool negative = *s == '-';
  if (*s == '-' || *s == '+') ++s;
  unsigned value = 0;
  for (; *s >= '0' && *s <= '9'; ++s) value = value * 10 + unsigned(*s - '0');
  return static_cast<int>(negative ? 0u - value : value);
}

}  // extern "C"
