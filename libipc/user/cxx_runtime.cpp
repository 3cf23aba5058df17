// The few runtime symbols C++ code may need besides operator new/delete (see heap.cpp).
#include "atoll/user/runtime.h"

extern "C" {

void __cxa_pure_virtual() {
  atoll_os::user::fatal("pure virtual function called");
}

// Built with -fno-use-cxa-atexit, GCC registers static destructors with atexit(). A program
// ends with task_exit, which runs none of them, so registering is a no-op that succeeds.
int atexit(void (*)()) {
  return 0;
}

[[noreturn]] void abort() {
  atoll_os::user::fatal("abort()");
}

}  // extern "C"

namespace std {
// Freestanding headers reference these on paths that would throw.
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) {
  atoll_os::user::fatal("std: out of range");
}
[[noreturn]] void __throw_length_error(const char*) {
  atoll_os::user::fatal("std: length error");
}
[[noreturn]] void __throw_logic_error(const char*) {
  atoll_os::user::fatal("std: logic error");
}
[[noreturn]] void __throw_bad_alloc() {
  atoll_os::user::fatal("std: bad alloc");
}
}  // namespace std
