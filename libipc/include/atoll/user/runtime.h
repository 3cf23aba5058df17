// What the user runtime knows about the running program: its start information, its
// arguments, and how it ends.
//
// Every program (app or server) defines `int main(int argc, char** argv)`. crt0's `_start`
// gets a pointer in rdi and hands it to the runtime, which tells two cases apart:
//  - an ordinary process: rdi = abi::ProcessStart* (magic kProcessStartMagic), mapped by pm.
//    The runtime copies it, so process_start() stays valid after that page is gone (for
//    instance after a migration), and builds argv from ProcessStart::arguments in the heap.
//  - init, started by the kernel: rdi = abi::BootModuleTable* at kBootModuleTableAddress.
//    process_start() is then synthesised (pid 0, self_task = kBootSelfTask, every other
//    handle 0) and boot_modules() returns the table. argv comes from the kernel command
//    line as on Linux: argv[0] is the value of init=NAME ("init" without it), and the words
//    after a lone "--" follow ("init=counter -- 5 200" runs counter with 5 and 200).
//    init has no pager, so its heap maps its own pages (heap_map_own_pages with
//    kBootSelfTask); its stack is what the kernel mapped (16 pages).
// Then global constructors run, main runs, and its return value goes to task_exit().
#pragma once

#include <stdint.h>

#include "atoll/abi/process.h"

namespace atoll_os::user {

/// This process's start information (a private copy; for init, a synthesised one).
const abi::ProcessStart& process_start();

/// The kernel's boot module table when this program runs as init; nullptr otherwise.
const abi::BootModuleTable* boot_modules();

/// True when the kernel started this program as the first process.
bool is_init();

/// Where print() sends text: an endpoint speaking the console protocol, or 0 for the
/// kernel log. Starts as ProcessStart::console; init sets it once the console server runs.
abi::Handle console();
void set_console(abi::Handle endpoint);

/// Ends the task (every thread) with `code`. Static destructors do not run.
[[noreturn]] void exit(int code);

/// Prints "<program>: fatal: <message>" and ends the task with kAbortExitCode.
[[noreturn]] void fatal(const char* message);
inline constexpr int kAbortExitCode = 134;  // what a shell reports for SIGABRT

}  // namespace atoll_os::user
