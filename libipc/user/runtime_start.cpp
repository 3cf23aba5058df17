// From crt0 to main: recognise the start information, run constructors, build argv, exit.
#include <stdint.h>

#include "arguments.h"
#include "atoll/abi/process.h"
#include "atoll/user/clock.h"
#include "atoll/user/cstring.h"
#include "atoll/user/heap.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"

int main(int argc, char** argv);

// Bounds of the constructor tables, from libipc/user.ld.
extern "C" {
using Constructor = void (*)();
extern Constructor __preinit_array_start[];
extern Constructor __preinit_array_end[];
extern Constructor __init_array_start[];
extern Constructor __init_array_end[];
}

namespace atoll_os::user {
namespace {

// Private copies, in the program's own data: they migrate with it, unlike the start page.
abi::ProcessStart start_copy;
const abi::BootModuleTable* boot_table = nullptr;
abi::Handle console_endpoint = abi::kNoHandle;
// argv's strings: writable, as C programs may expect.
char argument_storage[sizeof(abi::ProcessStart::arguments)];

void write_log(const char* text) {
  (void)debug_write(text, strlen(text));
}

// Recognises what the kernel or pm passed in rdi and fills start_copy; false if neither.
bool take_start_information(const void* start_info) {
  auto address = reinterpret_cast<uintptr_t>(start_info);
  if (address == abi::kBootModuleTableAddress) {
    // init: the kernel gives it the module table and fixed handles, but no ProcessStart.
    boot_table = static_cast<const abi::BootModuleTable*>(start_info);
    start_copy.magic = abi::kProcessStartMagic;
    start_copy.self_task = abi::kBootSelfTask;
    start_copy.argc = static_cast<uint32_t>(
        init_arguments(boot_table->command_line, sizeof(boot_table->command_line),
                       start_copy.arguments, sizeof(start_copy.arguments)));
    return true;
  }
  const auto* start = static_cast<const abi::ProcessStart*>(start_info);
  if (start == nullptr || start->magic != abi::kProcessStartMagic) return false;
  memcpy(&start_copy, start, sizeof(start_copy));
  return true;
}

void run_constructors() {
  for (Constructor* c = __preinit_array_start; c != __preinit_array_end; ++c) (*c)();
  for (Constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
}

// argv over a writable copy of the argument block; argv itself lives in the heap.
int build_argv(char**& argv) {
  memcpy(argument_storage, start_copy.arguments, sizeof(argument_storage));
  size_t capacity = max_arguments(start_copy.argc, sizeof(argument_storage)) + 1;
  argv = static_cast<char**>(malloc(capacity * sizeof(char*)));
  if (argv == nullptr) fatal("no heap for argv");
  return static_cast<int>(
      split_arguments(argument_storage, sizeof(argument_storage), start_copy.argc, argv));
}

}  // namespace

const abi::ProcessStart& process_start() {
  return start_copy;
}

const abi::BootModuleTable* boot_modules() {
  return boot_table;
}

bool is_init() {
  return boot_table != nullptr;
}

abi::Handle console() {
  return console_endpoint;
}

void set_console(abi::Handle endpoint) {
  console_endpoint = endpoint;
}

void exit(int code) {
  task_exit(code);
}

void fatal(const char* message) {
  const char* name = argument_storage[0] != '\0' ? argument_storage : "program";
  print("%s: fatal: %s\n", name, message);
  task_exit(kAbortExitCode);
}

}  // namespace atoll_os::user

/// Called by crt0's _start with rdi unchanged; see runtime.h for the two start cases.
extern "C" [[noreturn]] void atoll_runtime_start(const void* start_info) {
  using namespace atoll_os::user;
  if (!take_start_information(start_info)) {
    write_log("runtime: no ProcessStart or BootModuleTable in rdi; exiting\n");
    task_exit(kAbortExitCode);
  }
  console_endpoint = start_copy.console;
  if (is_init()) heap_map_own_pages(atoll_os::abi::kBootSelfTask);  // init has no pager
  run_constructors();
  // sleep_ns's notification, made now rather than at the first sleep (a YieldingLock waiter
  // sleeps too): a server's kernel objects stay as they were after it started.
  (void)sleep_ns(0);
  char** argv = nullptr;
  int argc = build_argv(argv);
  exit(main(argc, argv));
}
