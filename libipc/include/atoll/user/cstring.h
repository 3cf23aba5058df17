// The C string and memory functions the user runtime provides (the compiler also emits
// calls to the mem* ones), declared without depending on a hosted libc's headers.
#pragma once

#include <stddef.h>

extern "C" {
void* memcpy(void* dest, const void* src, size_t n);
void* memset(void* dest, int value, size_t n);
void* memmove(void* dest, const void* src, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
char* strrchr(const char* s, int c);
}
