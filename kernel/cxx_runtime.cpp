// The little C++ runtime the kernel needs: operator new/delete on the kernel heap, and
// definitions for the few calls the compiler and freestanding headers may emit.
#include <new>

#include "mm/kernel_memory.h"
#include "panic.h"

using atoll_os::kernel::kernel_heap;
using atoll_os::kernel::panic;

// Kernel objects are made with `new (std::nothrow)` and checked; the throwing forms exist
// only because the language needs them, and treat exhaustion as a bug.
void* operator new(size_t size) {
  void* block = kernel_heap().allocate(size);
  if (block == nullptr) panic("operator new(%zu): out of memory", size);
  return block;
}
void* operator new[](size_t size) {
  return operator new(size);
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return kernel_heap().allocate(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return kernel_heap().allocate(size);
}

void operator delete(void* block) noexcept {
  if (!kernel_heap().free(block)) panic("operator delete(%p): not a live heap block", block);
}
void operator delete[](void* block) noexcept {
  operator delete(block);
}
void operator delete(void* block, size_t) noexcept {
  operator delete(block);
}
void operator delete[](void* block, size_t) noexcept {
  operator delete(block);
}

extern "C" void __cxa_pure_virtual() {
  panic("pure virtual function called");
}

namespace std {
const nothrow_t nothrow{};  // libstdc++ defines it in the hosted library we do not link

// Freestanding headers reference these on paths that would throw; in the kernel, a bug.
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) {
  panic("std: out of range");
}
[[noreturn]] void __throw_length_error(const char*) {
  panic("std: length error");
}
[[noreturn]] void __throw_logic_error(const char*) {
  panic("std: logic error");
}
}  // namespace std
