// hello: the smallest program; proves that a process starts, prints and exits.
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"

int main(int, char**) {
  atoll_os::user::print("hello from pid %llu\n",
                        static_cast<unsigned long long>(atoll_os::user::process_start().pid));
  return 0;
}
