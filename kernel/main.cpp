// kernel_main: from GRUB's hand-off to a running, ticking kernel.
#include <stdint.h>

#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/debug_exit.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/memory_layout.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/serial.h"
#include "boot/init_loader.h"
#include "boot/multiboot2.h"
#include "crash.h"
#include "lib/command_line.h"
#include "log.h"
#include "mm/kernel_memory.h"
#include "object/irq_line.h"
#include "object/task.h"
#include "panic.h"
#include "sched/scheduler.h"
#include "selftest/selftest.h"
#include "timer.h"

namespace atoll_os::kernel {
namespace {

constexpr uint32_t kDefaultTickLog = kTimerHz;  // one "timer: tick" line a second
constexpr uint64_t kExitAfterTicks = 10;

BootInfo boot;  // string views into the boot information, which stays reserved
CommandLine options;

MemoryRange parse_boot_info(uint32_t magic, uint32_t info_physical) {
  if (magic != kMultiboot2BootloaderMagic) panic("not booted by multiboot2 (magic 0x%x)", magic);
  const uint8_t* info = x86_64::kDirectMap.at(info_physical);
  uint32_t total_size;
  __builtin_memcpy(&total_size, info, sizeof(total_size));
  auto parsed = parse_multiboot2(info, total_size);
  if (!parsed.ok()) panic("boot information rejected: %s", error_name(parsed.error()));
  boot = parsed.release_value();
  return {info_physical, total_size};
}

void parse_options() {
  auto parsed = CommandLine::parse(boot.command_line);
  if (!parsed.ok()) {
    log_warn("cmdline: ignored (%s): %.*s", error_name(parsed.error()),
             int(boot.command_line.size()), boot.command_line.data());
    return;
  }
  options = parsed.release_value();
  if (auto level = options.value("loglevel"); level.ok()) {
    auto parsed_level = parse_log_level(*level);
    if (parsed_level.ok())
      log_set_level(*parsed_level);
    else
      log_warn("cmdline: unknown loglevel '%.*s'", int(level->size()), level->data());
  }
}

void load_symbols() {
  auto module = boot.module("kernel.sym");
  if (!module.ok()) {
    log_warn("symbols: no kernel.sym module; backtraces will show addresses only");
    return;
  }
  const char* text = x86_64::kDirectMap.at<const char>(module->start);
  set_kernel_symbols(SymbolTable({text, size_t(module->end - module->start)}));
}

void print_memory_map() {
  for (const MemoryRange& r : boot.usable_ranges()) {
    log_info("memory: usable   0x%012lx-0x%012lx %8lu KiB", r.base, r.end(), r.length >> 10);
  }
  for (const MemoryRange& r : boot.reserved_ranges()) {
    log_info("memory: reserved 0x%012lx-0x%012lx %8lu KiB", r.base, r.end(), r.length >> 10);
  }
  log_info("memory: %lu MiB usable in %zu ranges; %zu modules", boot.usable_bytes() >> 20,
           boot.usable_count, boot.module_count);
}

void interrupts_init() {
  x86_64::pic_init();
  timer_init();
  IrqLine::create_all();
  x86_64::enable_interrupts();
}

void idle_body() {
  for (;;) x86_64::enable_interrupts_and_halt();
}

// Hands the CPU to user space: init, then whatever it starts. Never returns.
[[noreturn]] void start_user_space() {
  std::string_view init_name = options.value("init").value_or("init");
  Task::set_init_exit_powers_off(options.has("poweroff_on_init_exit"));
  auto started = start_init(boot, init_name);
  if (!started.ok()) {
    log_warn("init: not started (%s); the kernel idles", error_name(started.error()));
  }
  x86_64::disable_interrupts();  // from here the kernel runs with interrupts off
  auto idle = Thread::create_kernel(idle_body);
  if (!idle.ok()) panic("no memory for the idle thread");
  (*idle)->set_priority(0);
  scheduler_start(**idle);
}

// What the command line asks for once the kernel is up; returns only to go idle.
[[noreturn]] void run_boot_actions() {
  if (auto kind = options.value("crash"); kind.ok()) {
    if (!trigger_crash(*kind)) log_warn("crash: unknown kind; known: page_fault divide panic");
  }
  if (options.has("selftest")) {
    int failed = run_selftests();
    x86_64::power_off(failed == 0 ? KernelExit::kSuccess : KernelExit::kSelftestFailed);
  }
  uint64_t interval = options.number("tick_log").value_or(kDefaultTickLog);
  timer_set_log_interval(uint32_t(interval));
  log_info("boot: complete in %lu ms", uptime_ms());
  if (options.has("exit_after_boot")) {
    timer_set_log_interval(kExitAfterTicks);
    timer_wait_until(timer_ticks() + kExitAfterTicks);
    log_info("boot: powering off as asked (exit_after_boot)");
    x86_64::power_off(KernelExit::kSuccess);
  }
  start_user_space();
}

}  // namespace
}  // namespace atoll_os::kernel

extern "C" void (*__init_array_start[])(), (*__init_array_end[])();

extern "C" [[noreturn]] void kernel_main(uint32_t magic, uint32_t info_physical) {
  using namespace atoll_os::kernel;
  // Constructors of globals that could not be constant-initialised.
  for (auto* c = __init_array_start; c != __init_array_end; ++c) (*c)();
  x86_64::serial_init();
  x86_64::gdt_init();
  x86_64::idt_init();
  MemoryRange info_range = parse_boot_info(magic, info_physical);
  parse_options();
  log_info("Atoll kernel %s (x86_64), loaded by %.*s", ATOLL_VERSION,
           int(boot.bootloader_name.size()), boot.bootloader_name.data());
  log_info("cmdline: %.*s", int(boot.command_line.size()), boot.command_line.data());
  load_symbols();
  print_memory_map();
  memory_init(boot, info_range);
  x86_64::cpu_features_init();
  interrupts_init();
  calibrate_tsc();
  log_info("timer: PIT at %u Hz", kTimerHz);
  run_boot_actions();
}
