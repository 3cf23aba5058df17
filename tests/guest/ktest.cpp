// ktest: the kernel's system-call tests, run as init (boot: init=ktest poweroff_on_init_exit).
// Each check prints "ktest: PASS name" or "ktest: FAIL name: what"; the exit code is the
// number of failures, which the kernel turns into QEMU's exit status.
#include "ktest.h"
#include "atoll/abi/process.h"
#include "atoll/user/print.h"
#include "atoll/user/syscalls.h"
#include "sibling.h"

using namespace atoll_os;
using namespace atoll_os::user;
using guest::failed_check;
using guest::fails_with;
using guest::make_sibling;

const char* atoll_os::guest::failed_check = nullptr;

namespace {

int failures = 0;

void run(const char* name, bool (*test)()) {
  failed_check = nullptr;
  if (test()) {
    print("ktest: PASS %s\n", name);
  } else {
    ++failures;
    print("ktest: FAIL %s: %s\n", name, failed_check ? failed_check : "?");
  }
}

abi::Message make_message(uint64_t label) {
  abi::Message m{};
  m.header.label = label;
  return m;
}

// A sibling that answers every call with label + 1 and the payload echoed, forever.
[[noreturn]] void echo_server(uint64_t endpoint) {
  abi::Message m{};
  if (!ipc_recv(abi::Handle(endpoint), m).ok()) task_exit(1);
  for (;;) {
    m.header.label += 1;
    m.header.handle_count = 0;
    m.header.flags = 0;
    m.header.grant_address = m.header.grant_length = 0;
    if (!ipc_reply_recv(abi::Handle(endpoint), m).ok()) task_exit(2);
  }
}

bool forged_handles_refused() {
  abi::Message m = make_message(1);
  CHECK(fails_with(ipc_send(12345, m), Error::kBadHandle));
  CHECK(fails_with(ipc_send(0, m), Error::kBadHandle));
  CHECK(fails_with(ipc_send(0xffffffff, m), Error::kBadHandle));
  CHECK(fails_with(handle_close(777), Error::kBadHandle));
  abi::Handle n = notification_create().value_or(0);
  CHECK(n != 0);
  CHECK(fails_with(ipc_send(n, m), Error::kInvalidArgument));  // not an endpoint
  CHECK(handle_close(n).ok());
  CHECK(fails_with(notification_signal(n, 1), Error::kBadHandle));  // closed
  abi::Handle ep = endpoint_create().value_or(0);
  abi::Handle read_only = handle_duplicate(ep, abi::kRightRead).value_or(0);
  CHECK(read_only != 0);
  CHECK(fails_with(ipc_send(read_only, m), Error::kAccessDenied));
  CHECK(fails_with(handle_duplicate(read_only, abi::kRightRead), Error::kAccessDenied));
  CHECK(fails_with(handle_duplicate(ep, abi::kRightsAll), Error::kAccessDenied));  // widening
  CHECK(handle_close(read_only).ok() && handle_close(ep).ok());
  return true;
}

bool bad_pointers_refused() {
  abi::Handle ep = endpoint_create().value_or(0);
  auto* kernel = reinterpret_cast<abi::Message*>(0xffffffff80100000ull);
  auto* unmapped = reinterpret_cast<abi::Message*>(0x3000'0000ull);
  CHECK(fails_with(ipc_send(ep, *kernel), Error::kInvalidArgument));
  CHECK(fails_with(ipc_send(ep, *unmapped), Error::kInvalidArgument));
  CHECK(fails_with(debug_write(reinterpret_cast<const char*>(0xffffffff80100000ull), 16),
                   Error::kInvalidArgument));
  CHECK(fails_with(debug_write("x", 1u << 20), Error::kInvalidArgument));
  abi::Message big = make_message(1);
  big.header.length = abi::kMessagePayloadMax + 1;
  CHECK(fails_with(ipc_send(ep, big), Error::kInvalidArgument));
  CHECK(fails_with(vm_map_zeroed(abi::kBootSelfTask, 0xffff800000000000ull, 1, abi::kVmWrite),
                   Error::kInvalidArgument));
  CHECK(fails_with(vm_map_zeroed(abi::kBootSelfTask, 0x1234, 1, abi::kVmWrite),
                   Error::kInvalidArgument));
  // The last user page stays unmapped: a syscall ending at 2^47 would break sysretq.
  CHECK(fails_with(vm_map_zeroed(abi::kBootSelfTask, abi::kUserSpaceEnd - 4096, 1, abi::kVmWrite),
                   Error::kInvalidArgument));
  CHECK(user::syscall0(static_cast<abi::Syscall>(79)) == -int64_t(Error::kNotSupported));
  CHECK(user::syscall0(static_cast<abi::Syscall>(uint64_t(1) << 40)) ==
        -int64_t(Error::kNotSupported));
  CHECK(handle_close(ep).ok());
  return true;
}

bool calls_between_tasks() {
  abi::Handle ep = endpoint_create().value_or(0);
  abi::Handle remote;
  auto sibling = make_sibling(echo_server, 0, 0, 0, &ep, &remote, 1);
  CHECK(sibling.ok());
  // The sibling learns its endpoint handle value through its argument register.
  abi::ThreadState state;
  CHECK(thread_read_state(sibling->thread, state).ok());
  state.rdi = remote;
  CHECK(thread_write_state(sibling->thread, state).ok());
  CHECK(thread_start(sibling->thread, 20).ok());
  for (uint64_t i = 0; i < 1000; ++i) {
    abi::Message m = make_message(i);
    m.header.length = 8;
    __builtin_memcpy(m.payload, &i, 8);
    CHECK(ipc_call(ep, m).ok());
    uint64_t echoed;
    __builtin_memcpy(&echoed, m.payload, 8);
    CHECK(m.header.label == i + 1 && echoed == i && m.header.length == 8);
  }
  CHECK(task_kill(sibling->task, 0).ok());
  auto status = task_status(sibling->task);
  CHECK(status.ok() && status->state == abi::TaskState::kKilled && status->pages_mapped == 0);
  // The killed server's receive is gone: a call now waits forever, so poll with send.
  CHECK(handle_close(sibling->task).ok() && handle_close(sibling->thread).ok());
  CHECK(handle_close(ep).ok());
  return true;
}

bool handles_move_in_messages() {
  abi::Handle ep = endpoint_create().value_or(0);
  abi::Handle gift = notification_create().value_or(0);
  abi::Handle remote;
  auto sibling = make_sibling(echo_server, 0, 0, 0, &ep, &remote, 1);
  CHECK(sibling.ok());
  abi::ThreadState state;
  CHECK(thread_read_state(sibling->thread, state).ok());
  state.rdi = remote;
  CHECK(thread_write_state(sibling->thread, state).ok() && thread_start(sibling->thread, 20).ok());
  abi::Message m = make_message(5);
  m.header.handle_count = 1;
  m.header.handles[0] = gift;
  abi::Handle no_transfer = handle_duplicate(gift, abi::kRightWrite).value_or(0);
  abi::Message refused = m;
  refused.header.handles[0] = no_transfer;
  CHECK(fails_with(ipc_call(ep, refused), Error::kAccessDenied));
  CHECK(ipc_call(ep, m).ok() && m.header.label == 6);
  CHECK(fails_with(notification_signal(gift, 1), Error::kBadHandle));  // moved away
  CHECK(task_kill(sibling->task, 0).ok());
  CHECK(handle_close(sibling->task).ok() && handle_close(sibling->thread).ok());
  CHECK(handle_close(ep).ok() && handle_close(no_transfer).ok());
  return true;
}

constexpr uint64_t kFaultAddress = 0x2000'0000;
constexpr uint64_t kRefusedAddress = 0x2800'0000;

[[noreturn]] void touch_memory(uint64_t) {
  volatile uint64_t* p = reinterpret_cast<volatile uint64_t*>(kFaultAddress);
  *p = 0x5eed;  // resolved by the pager
  volatile uint64_t* q = reinterpret_cast<volatile uint64_t*>(kRefusedAddress);
  *q = 1;  // refused: the task ends here
  task_exit(0);
}

bool page_faults_go_to_the_pager() {
  abi::Handle pager = endpoint_create().value_or(0);
  abi::Handle badged = handle_duplicate(pager, abi::kRightWrite, 77).value_or(0);
  abi::Handle death = notification_create().value_or(0);
  auto sibling = make_sibling(touch_memory, 0, badged, death, nullptr, nullptr, 0);
  CHECK(sibling.ok() && thread_start(sibling->thread, 20).ok());
  abi::Message m{};
  CHECK(ipc_recv(pager, m).ok());
  abi::PageFault fault;
  __builtin_memcpy(&fault, m.payload, sizeof(fault));
  CHECK(m.header.label == abi::kLabelPageFault && m.header.badge == 77);
  CHECK(fault.address == kFaultAddress && (fault.access & abi::kFaultWrite));
  CHECK(vm_map_zeroed(sibling->task, kFaultAddress, 1, abi::kVmWrite).ok());
  m = make_message(abi::kLabelFaultResolved);
  CHECK(ipc_reply_recv(pager, m).ok());
  __builtin_memcpy(&fault, m.payload, sizeof(fault));
  CHECK(fault.address == kRefusedAddress);
  // The first write landed: read it back through a shared mapping.
  CHECK(vm_share(sibling->task, kFaultAddress, abi::kBootSelfTask, 0x3000'0000, 1, abi::kVmRead)
            .ok());
  CHECK(*reinterpret_cast<volatile uint64_t*>(0x3000'0000) == 0x5eed);
  CHECK(vm_unmap(abi::kBootSelfTask, 0x3000'0000, 1).value_or(0) == 1);
  m = make_message(abi::kLabelFaultRefused);
  CHECK(ipc_reply(m).ok());
  CHECK(notification_wait(death, 1'000'000'000).value_or(0) == 1);
  auto status = task_status(sibling->task);
  CHECK(status.ok() && status->state == abi::TaskState::kFaulted);
  CHECK(status->fault_address == kRefusedAddress);
  for (abi::Handle h : {sibling->task, sibling->thread, pager, badged, death})
    CHECK(handle_close(h).ok());
  return true;
}

bool memory_rights_enforced() {
  auto sibling = make_sibling(echo_server, 0, 0, 0, nullptr, nullptr, 0);
  CHECK(sibling.ok());
  abi::Handle weak =
      handle_duplicate(sibling->task, abi::kRightControl | abi::kRightDuplicate).value_or(0);
  CHECK(weak != 0);
  CHECK(fails_with(
      vm_share(weak, abi::kUserStackTop - 4096, abi::kBootSelfTask, 0x3000'0000, 1, abi::kVmRead),
      Error::kAccessDenied));
  CHECK(fails_with(vm_map_zeroed(weak, 0x2000'0000, 1, abi::kVmWrite), Error::kAccessDenied));
  // Text is shared read-only and cannot be shared back writable.
  auto text = reinterpret_cast<uint64_t>(&echo_server) & ~4095ull;
  CHECK(fails_with(vm_share(sibling->task, text, abi::kBootSelfTask, 0x3000'0000, 1, abi::kVmWrite),
                   Error::kAccessDenied));
  CHECK(task_kill(weak, 0).ok());
  for (abi::Handle h : {weak, sibling->task, sibling->thread}) CHECK(handle_close(h).ok());
  return true;
}

bool revocation_cuts_derived_handles() {
  abi::Handle n = notification_create().value_or(0);
  abi::Handle child = handle_duplicate(n, abi::kRightWrite | abi::kRightDuplicate).value_or(0);
  abi::Handle grandchild = handle_duplicate(child, abi::kRightWrite).value_or(0);
  CHECK(notification_signal(grandchild, 1).ok());
  CHECK(handle_revoke(n).ok());
  CHECK(fails_with(notification_signal(child, 1), Error::kBadHandle));
  CHECK(fails_with(notification_signal(grandchild, 1), Error::kBadHandle));
  CHECK(notification_signal(n, 2).ok());
  CHECK(notification_wait(n, 0).value_or(0) == 3);
  for (abi::Handle h : {n, child, grandchild}) CHECK(handle_close(h).ok());
  return true;
}

bool timeouts_expire() {
  abi::Handle n = notification_create().value_or(0);
  abi::Handle ep = endpoint_create().value_or(0);
  CHECK(fails_with(notification_wait(n, 0), Error::kTimedOut));
  uint64_t start = clock_ns();
  CHECK(fails_with(notification_wait(n, 30'000'000), Error::kTimedOut));
  CHECK(clock_ns() - start >= 30'000'000);
  abi::Message m{};
  CHECK(fails_with(ipc_recv(ep, m, 0), Error::kTimedOut));
  CHECK(fails_with(ipc_recv(ep, m, 20'000'000), Error::kTimedOut));
  CHECK(handle_close(n).ok() && handle_close(ep).ok());
  return true;
}

// Drivers get physically contiguous, zeroed memory and its physical address for DMA.
bool dma_memory_for_drivers() {
  constexpr uint64_t kAt = 0x2400'0000;
  auto before = memory_info();
  CHECK(before.ok());
  auto physical = vm_map_dma(abi::kBootDma, abi::kBootSelfTask, kAt, 4, abi::kVmWrite);
  CHECK(physical.ok() && *physical != 0 && *physical % 4096 == 0);
  auto* bytes = reinterpret_cast<volatile uint8_t*>(kAt);
  for (uint64_t i = 0; i < 4 * 4096; i += 512) CHECK(bytes[i] == 0);
  bytes[4 * 4096 - 1] = 0x5a;
  CHECK(fails_with(vm_map_dma(abi::kBootDma, abi::kBootSelfTask, kAt, 1, abi::kVmWrite),
                   Error::kAlreadyExists));
  CHECK(fails_with(vm_map_dma(abi::kBootDma, abi::kBootSelfTask, kAt + 0x10'0000, 1,
                              abi::kVmWrite | abi::kVmExecute),
                   Error::kInvalidArgument));
  CHECK(fails_with(
      vm_map_dma(abi::kBootDma, abi::kBootSelfTask, kAt + 0x10'0000, 5000, abi::kVmWrite),
      Error::kInvalidArgument));
  abi::Handle n = notification_create().value_or(0);
  CHECK(fails_with(vm_map_dma(n, abi::kBootSelfTask, kAt + 0x10'0000, 1, abi::kVmWrite),
                   Error::kInvalidArgument));  // not a DMA capability
  CHECK(handle_close(n).ok());
  CHECK(vm_unmap(abi::kBootSelfTask, kAt, 4).value_or(0) == 4);
  auto after = memory_info();
  CHECK(after.ok() && after->user_frames == before->user_frames);
  return true;
}

[[noreturn]] void spin_forever(uint64_t) {
  for (;;) asm volatile("" ::: "memory");
}

// system_info: the ABI version, and a load average that follows the run-queue length (two
// spinning threads raise it towards 2 while this one sleeps; it decays once they are gone).
bool load_follows_runnable_threads() {
  auto idle = system_info();
  CHECK(idle.ok() && idle->abi_version == abi::kKernelAbiVersion);
  CHECK(idle->load_window_ms == 2000);
  CHECK(idle->runnable >= 1);  // this thread runs
  auto* kernel = reinterpret_cast<abi::SystemInfo*>(0xffffffff80100000ull);
  CHECK(raw::system_info(kernel) == -int64_t(Error::kInvalidArgument));
  auto self = thread_stats(abi::kBootSelfThread);
  CHECK(self.ok());
  guest::Sibling spinners[2];
  for (guest::Sibling& s : spinners) {
    auto made = make_sibling(spin_forever, 0, 0, 0, nullptr, nullptr, 0);
    CHECK(made.ok());
    s = *made;
    CHECK(thread_start(s.thread, self->priority).ok());
  }
  auto busy = system_info();
  CHECK(busy.ok() && busy->runnable >= 3);  // this one and the two spinners
  abi::Handle timer = notification_create().value_or(0);
  (void)notification_wait(timer, 3'000'000'000);  // 1.5 time constants: ~78% of the way
  auto loaded = system_info();
  print("ktest: load with two spinners %u.%03u\n", loaded->load_milli / 1000,
        loaded->load_milli % 1000);
  CHECK(loaded.ok() && loaded->load_milli > 1200 && loaded->load_milli < 3200);
  for (guest::Sibling& s : spinners) {
    CHECK(task_kill(s.task, 0).ok());
    CHECK(handle_close(s.task).ok() && handle_close(s.thread).ok());
  }
  (void)notification_wait(timer, 4'000'000'000);  // two time constants: ~14% left
  auto quiet = system_info();
  print("ktest: load after they ended %u.%03u\n", quiet->load_milli / 1000,
        quiet->load_milli % 1000);
  CHECK(quiet.ok() && quiet->load_milli < loaded->load_milli / 2);
  CHECK(handle_close(timer).ok());
  return true;
}

[[noreturn]] void exit_at_once(uint64_t code) {
  task_exit(int64_t(code));
}

// Tasks made and reaped leave frames and kernel objects where they were.
bool thousand_tasks_leave_nothing() {
  auto before = memory_info();
  CHECK(before.ok());
  abi::Handle death = notification_create().value_or(0);
  for (int i = 0; i < 1000; ++i) {
    auto sibling = make_sibling(exit_at_once, uint64_t(i % 7), 0, death, nullptr, nullptr, 0);
    CHECK(sibling.ok());
    CHECK(vm_map_zeroed(sibling->task, 0x2000'0000, 4, abi::kVmWrite).ok());
    CHECK(thread_start(sibling->thread, 20).ok());
    CHECK(notification_wait(death, 1'000'000'000).ok());
    auto status = task_status(sibling->task);
    CHECK(status.ok() && status->state == abi::TaskState::kExited && status->exit_code == i % 7);
    CHECK(handle_close(sibling->task).ok() && handle_close(sibling->thread).ok());
  }
  CHECK(handle_close(death).ok());
  auto after = memory_info();
  CHECK(after.ok());
  print("ktest: frames free %lu -> %lu, kernel objects %lu -> %lu\n", before->free_frames,
        after->free_frames, before->kernel_objects, after->kernel_objects);
  CHECK(after->free_frames == before->free_frames);
  CHECK(after->kernel_objects == before->kernel_objects);
  CHECK(after->user_frames == before->user_frames);
  return true;
}

}  // namespace

int main(int, char**) {
  run("forged_handles_refused", forged_handles_refused);
  run("bad_pointers_refused", bad_pointers_refused);
  run("calls_between_tasks", calls_between_tasks);
  run("handles_move_in_messages", handles_move_in_messages);
  run("page_faults_go_to_the_pager", page_faults_go_to_the_pager);
  run("memory_rights_enforced", memory_rights_enforced);
  run("revocation_cuts_derived_handles", revocation_cuts_derived_handles);
  run("timeouts_expire", timeouts_expire);
  run("dma_memory_for_drivers", dma_memory_for_drivers);
  run("thousand_tasks_leave_nothing", thousand_tasks_leave_nothing);
  run("load_follows_runnable_threads", load_follows_runnable_threads);
  guest::run_migration_tests(run);
  print("ktest: summary %d failed\n", failures);
  return failures;
}
