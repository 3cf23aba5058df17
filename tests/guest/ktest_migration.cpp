// ktest's checks of the kernel mechanisms process migration is built on: listing and
// installing a task's handles, suspending threads blocked in system calls at restartable
// states, and moving a thread's complete state into a thread of another task.
#include "atoll/abi/process.h"
#include "atoll/user/syscalls.h"
#include "ktest.h"
#include "sibling.h"

using namespace atoll_os;
using namespace atoll_os::user;

// A thread that counts in memory at fs:8 until fs:0 becomes nonzero, then stores its
// general registers and xmm7 at fs:16.. and sets fs:160: what it stores are the registers
// it was given, since the loop touches none but rflags.
extern "C" char ktest_register_dump[], ktest_register_dump_end[];
// Stores rax and rcx at ktest_stored_registers and ends the thread.
extern "C" char ktest_store_rax_rcx[];
extern "C" uint64_t ktest_stored_registers[2];
uint64_t ktest_stored_registers[2];

asm(R"(
    .text
    .globl ktest_register_dump, ktest_register_dump_end, ktest_store_rax_rcx
ktest_register_dump:
1:  incq %fs:8
    pause
    cmpq $0, %fs:0
    je 1b
    movq %rax, %fs:16
    movq %rbx, %fs:24
    movq %rcx, %fs:32
    movq %rdx, %fs:40
    movq %rsi, %fs:48
    movq %rdi, %fs:56
    movq %rbp, %fs:64
    movq %rsp, %fs:72
    movq %r8, %fs:80
    movq %r9, %fs:88
    movq %r10, %fs:96
    movq %r11, %fs:104
    movq %r12, %fs:112
    movq %r13, %fs:120
    movq %r14, %fs:128
    movq %r15, %fs:136
    movdqu %xmm7, %fs:144
    movq $1, %fs:160
2:  pause
    jmp 2b
ktest_register_dump_end:
ktest_store_rax_rcx:
    movq %rax, ktest_stored_registers(%rip)
    movq %rcx, ktest_stored_registers+8(%rip)
    movl $4, %eax
    syscall
    ud2
)");

namespace atoll_os::guest {
namespace {

using abi::Handle;
using abi::ThreadRunState;

constexpr uint32_t kHighPriority = 25;        // above init's 20: runs as soon as it can
constexpr uint32_t kLowPriority = 10;         // runs only while init waits
constexpr size_t kXmm7Offset = 160 + 7 * 16;  // in the FXSAVE area

alignas(16) uint8_t stacks[3][16 * 1024];

Handle sleeper = 0;

void sleep_ms(uint64_t ms) {
  if (sleeper == 0) sleeper = notification_create().value_or(0);
  (void)notification_wait(sleeper, ms * 1'000'000);
}

// A thread of this task running entry(argument) on stacks[stack], started.
Result<Handle> start_thread(void (*entry)(uint64_t), uint64_t argument, int stack,
                            uint32_t priority) {
  uint64_t top = reinterpret_cast<uint64_t>(&stacks[stack][sizeof(stacks[stack])]);
  Handle t =
      TRY(thread_create(abi::kBootSelfTask, reinterpret_cast<uint64_t>(entry), top - 8, argument));
  TRY(thread_start(t, priority));
  return t;
}

ThreadRunState run_state(Handle thread) {
  auto stats = thread_stats(thread);
  return stats.ok() ? ThreadRunState(stats->state) : ThreadRunState(~0u);
}

bool at_syscall_instruction(uint64_t rip) {
  auto* code = reinterpret_cast<const uint8_t*>(rip);
  return code[0] == 0x0f && code[1] == 0x05;
}

// thread_suspend until the thread has stopped (a pending suspension answers kBusy).
bool suspend_when_stopped(Handle thread) {
  for (int i = 0; i < 100; ++i) {
    auto r = thread_suspend(thread);
    if (r.ok()) return true;
    if (r.error() != Error::kBusy) return false;
    sleep_ms(2);
  }
  return false;
}

abi::Message make_message(uint64_t label) {
  abi::Message m{};
  m.header.label = label;
  return m;
}

bool task_handles_lists_and_pages() {
  Handle task = task_create(0, 0, 0).value_or(0);
  CHECK(task != 0);
  abi::HandleListEntry list[abi::kTaskHandlesMax + 1];
  CHECK(task_handles(task, 0, list, abi::kTaskHandlesMax).value_or(99) == 0);  // holds none
  Handle n = notification_create().value_or(0);
  Handle ep = endpoint_create().value_or(0);
  Handle badged = handle_duplicate(n, abi::kRightWrite | abi::kRightTransfer, 5).value_or(0);
  CHECK(n != 0 && ep != 0 && badged != 0);
  Handle given[3] = {handle_transfer(task, badged, abi::kRightWrite).value_or(0),
                     handle_transfer(task, ep, abi::kRightRead).value_or(0),
                     handle_transfer(task, ep, abi::kRightWrite).value_or(0)};
  // Slot order and value order differ once generations do: these sort after the others.
  constexpr Handle kLate = (1u << 16) | 4, kEarly = 7;
  CHECK(handle_install(task, n, abi::kRightRead, kLate).ok());
  CHECK(handle_install(task, n, abi::kRightRead, kEarly).ok());
  Handle expected[5] = {given[0], given[1], given[2], kEarly, kLate};
  CHECK(given[0] != 0 && given[0] < given[1] && given[1] < given[2] && given[2] < kEarly);
  Handle sources[5] = {badged, ep, ep, n, n};
  uint32_t rights[5] = {abi::kRightWrite, abi::kRightRead, abi::kRightWrite, abi::kRightRead,
                        abi::kRightRead};
  CHECK(task_handles(task, 0, list, abi::kTaskHandlesMax).value_or(0) == 5);
  for (int i = 0; i < 5; ++i) {
    auto info = handle_info(sources[i]);
    CHECK(info.ok() && list[i].value == expected[i] && list[i].type == info->type);
    CHECK(list[i].rights == rights[i] && list[i].object_id == info->object_id);
    CHECK(list[i].badge == (i == 0 ? 5u : 0u));
  }
  // One at a time, each call resuming after the last value it gave.
  Handle after = 0;
  for (int i = 0; i < 5; ++i) {
    CHECK(task_handles(task, after, list, 1).value_or(0) == 1 && list[0].value == expected[i]);
    after = list[0].value;
  }
  CHECK(task_handles(task, after, list, 1).value_or(99) == 0);
  CHECK(task_handles(task, given[1], list, 2).value_or(0) == 2 && list[0].value == given[2]);
  CHECK(fails_with(task_handles(task, 0, list, abi::kTaskHandlesMax + 1), Error::kInvalidArgument));
  Handle weak = handle_duplicate(task, abi::kRightMemory).value_or(0);
  CHECK(fails_with(task_handles(weak, 0, list, 1), Error::kAccessDenied));
  CHECK(fails_with(task_handles(n, 0, list, 1), Error::kInvalidArgument));  // not a task
  CHECK(fails_with(task_handles(task, 0, reinterpret_cast<abi::HandleListEntry*>(0x3000'0000), 4),
                   Error::kInvalidArgument));
  CHECK(task_kill(task, 0).ok());
  for (Handle h : {task, n, ep, badged, weak}) CHECK(handle_close(h).ok());
  return true;
}

bool handle_install_at_chosen_values() {
  constexpr Handle kChosen = (3u << 16) | 200;
  Handle n = notification_create().value_or(0);
  CHECK(n != 0);
  CHECK(handle_install(abi::kBootSelfTask, n, abi::kRightRead | abi::kRightWrite, kChosen).ok());
  CHECK(notification_signal(kChosen, 2).ok());  // usable at exactly that value
  CHECK(notification_wait(n, 0).value_or(0) == 2);
  auto info = handle_info(kChosen);
  CHECK(info.ok() && info->object_id == handle_info(n)->object_id);
  CHECK(info->rights == (abi::kRightRead | abi::kRightWrite));
  CHECK(fails_with(notification_signal((2u << 16) | 200, 1), Error::kBadHandle));
  CHECK(fails_with(handle_install(abi::kBootSelfTask, n, abi::kRightRead, kChosen),
                   Error::kAlreadyExists));
  CHECK(fails_with(handle_install(abi::kBootSelfTask, n, abi::kRightRead, (5u << 16) | 200),
                   Error::kAlreadyExists));  // the same slot under another generation
  CHECK(fails_with(handle_install(abi::kBootSelfTask, n, abi::kRightRead, 0),
                   Error::kInvalidArgument));
  CHECK(fails_with(handle_install(abi::kBootSelfTask, n, abi::kRightRead, 1u << 16),
                   Error::kInvalidArgument));  // slot 0
  CHECK(fails_with(handle_install(abi::kBootSelfTask, n, abi::kRightRead, 4096),
                   Error::kInvalidArgument));  // beyond any table
  Handle weak = handle_duplicate(n, abi::kRightWrite | abi::kRightTransfer).value_or(0);
  Handle fixed = handle_duplicate(n, abi::kRightWrite).value_or(0);
  CHECK(fails_with(handle_install(abi::kBootSelfTask, weak, abi::kRightsAll, 300),
                   Error::kAccessDenied));  // widening
  CHECK(fails_with(handle_install(abi::kBootSelfTask, fixed, abi::kRightWrite, 300),
                   Error::kAccessDenied));  // no transfer right
  CHECK(fails_with(handle_install(n, n, abi::kRightRead, 300), Error::kInvalidArgument));
  // The installed copy derives from n, as a transferred one would: revoking n cuts it.
  CHECK(handle_revoke(n).ok());
  CHECK(fails_with(notification_signal(kChosen, 1), Error::kBadHandle));
  CHECK(handle_close(kChosen).ok());
  for (Handle h : {n, weak, fixed}) CHECK(handle_close(h).ok());
  return true;
}

volatile uint64_t waiter_bits = 0;
volatile bool waiter_done = false;

[[noreturn]] void wait_once(uint64_t notification_and_timeout) {
  Handle n = Handle(notification_and_timeout & 0xffffffff);
  uint64_t timeout_ms = notification_and_timeout >> 32;
  auto bits = notification_wait(n, timeout_ms ? timeout_ms * 1'000'000 : kForever);
  waiter_bits = bits.ok() ? *bits : ~0ull;
  waiter_done = true;
  thread_exit();
}

bool suspended_notification_wait_restarts() {
  Handle n = notification_create().value_or(0);
  waiter_done = false;
  auto t = start_thread(wait_once, n, 0, kHighPriority);
  CHECK(t.ok() && run_state(*t) == ThreadRunState::kBlockedNotification);
  CHECK(thread_suspend(*t).ok() && run_state(*t) == ThreadRunState::kSuspended);
  abi::ThreadState s;
  CHECK(thread_read_state(*t, s).ok());
  CHECK(at_syscall_instruction(s.rip));
  CHECK(s.rax == uint64_t(abi::Syscall::notification_wait) && s.rdi == n && s.rsi == kForever);
  // The suspended thread waits no more: a signal now stays pending for whoever waits next.
  CHECK(notification_signal(n, 1).ok());
  CHECK(notification_wait(n, 0).value_or(0) == 1 && !waiter_done);
  CHECK(notification_signal(n, 4).ok());
  CHECK(thread_resume(*t).ok());
  sleep_ms(5);
  CHECK(waiter_done && waiter_bits == 4);
  CHECK(handle_close(*t).ok() && handle_close(n).ok());
  return true;
}

// A timed wait restarts with its whole timeout: time spent suspended does not count.
bool suspended_timed_wait_restarts_in_full() {
  constexpr uint64_t kTimeoutMs = 300;
  Handle n = notification_create().value_or(0);
  waiter_done = false;
  auto t = start_thread(wait_once, (kTimeoutMs << 32) | n, 0, kHighPriority);
  CHECK(t.ok() && run_state(*t) == ThreadRunState::kBlockedNotification);
  CHECK(thread_suspend(*t).ok());
  abi::ThreadState s;
  CHECK(thread_read_state(*t, s).ok() && s.rsi == kTimeoutMs * 1'000'000);
  sleep_ms(kTimeoutMs + 100);
  CHECK(!waiter_done);
  CHECK(thread_resume(*t).ok());
  sleep_ms(50);
  CHECK(!waiter_done && run_state(*t) == ThreadRunState::kBlockedNotification);
  CHECK(notification_signal(n, 8).ok());
  sleep_ms(5);
  CHECK(waiter_done && waiter_bits == 8);
  CHECK(handle_close(*t).ok() && handle_close(n).ok());
  return true;
}

// Woken but not yet run, a thread has its result decided and not written: it finishes the
// call, then stops with that result in rax, before running on.
bool woken_thread_stops_after_its_call() {
  Handle n = notification_create().value_or(0);
  waiter_done = false;
  auto t = start_thread(wait_once, n, 0, kLowPriority);
  CHECK(t.ok());
  sleep_ms(5);
  CHECK(run_state(*t) == ThreadRunState::kBlockedNotification);
  CHECK(notification_signal(n, 2).ok());
  CHECK(run_state(*t) == ThreadRunState::kReady);
  CHECK(fails_with(thread_suspend(*t), Error::kBusy));
  CHECK(suspend_when_stopped(*t) && !waiter_done);
  abi::ThreadState s;
  CHECK(thread_read_state(*t, s).ok() && s.rax == 2 && at_syscall_instruction(s.rip - 2));
  CHECK(thread_resume(*t).ok());
  sleep_ms(5);
  CHECK(waiter_done && waiter_bits == 2);
  CHECK(handle_close(*t).ok() && handle_close(n).ok());
  return true;
}

abi::Message received{};
volatile int64_t receive_result = 1;
volatile int64_t send_result = 1;

[[noreturn]] void receive_once(uint64_t endpoint) {
  auto r = ipc_recv(Handle(endpoint), received);
  receive_result = r.ok() ? 0 : -int64_t(r.error());
  thread_exit();
}

[[noreturn]] void send_once(uint64_t endpoint) {
  abi::Message m = make_message(77);
  m.header.length = 8;
  __builtin_memcpy(m.payload, "migrated", 8);
  auto r = ipc_send(Handle(endpoint), m);
  send_result = r.ok() ? 0 : -int64_t(r.error());
  thread_exit();
}

// A receiver and then a sender are suspended while they wait: each leaves its queue and
// restarts its call when resumed, and the message goes across exactly once.
bool suspended_ipc_waits_restart() {
  Handle ep = endpoint_create().value_or(0);
  received = {};
  receive_result = 1;
  send_result = 1;
  auto r = start_thread(receive_once, ep, 0, kHighPriority);
  CHECK(r.ok() && run_state(*r) == ThreadRunState::kBlockedReceive);
  CHECK(thread_suspend(*r).ok());
  abi::ThreadState s;
  CHECK(thread_read_state(*r, s).ok() && at_syscall_instruction(s.rip));
  CHECK(s.rax == uint64_t(abi::Syscall::ipc_recv) && s.rdi == ep);
  CHECK(s.rsi == reinterpret_cast<uint64_t>(&received) && s.rdx == kForever);
  auto w = start_thread(send_once, ep, 1, kHighPriority);
  CHECK(w.ok() && run_state(*w) == ThreadRunState::kBlockedSend);  // nobody receives now
  CHECK(thread_suspend(*w).ok());
  CHECK(thread_read_state(*w, s).ok() && at_syscall_instruction(s.rip));
  CHECK(s.rax == uint64_t(abi::Syscall::ipc_send) && s.rdi == ep);
  CHECK(thread_resume(*r).ok());
  sleep_ms(5);
  CHECK(run_state(*r) == ThreadRunState::kBlockedReceive && receive_result == 1);
  CHECK(thread_resume(*w).ok());
  sleep_ms(5);
  CHECK(receive_result == 0 && send_result == 0);
  CHECK(received.header.label == 77 && received.header.length == 8);
  CHECK(__builtin_memcmp(received.payload, "migrated", 8) == 0);
  for (Handle h : {*r, *w, ep}) CHECK(handle_close(h).ok());
  return true;
}

abi::Message call_message{};
volatile bool call_done = false;

[[noreturn]] void call_once(uint64_t endpoint) {
  call_message = make_message(5);
  auto r = ipc_call(Handle(endpoint), call_message);
  call_done = r.ok();
  thread_exit();
}

// Waiting for a reply, a thread cannot stop (the server holds its message): it stops once
// the reply came, with the call's result in rax and the reply in its buffer.
bool reply_phase_suspends_after_the_reply() {
  Handle ep = endpoint_create().value_or(0);
  call_done = false;
  auto c = start_thread(call_once, ep, 0, kHighPriority);
  CHECK(c.ok() && run_state(*c) == ThreadRunState::kBlockedSend);
  abi::Message m{};
  CHECK(ipc_recv(ep, m).ok() && m.header.label == 5);
  CHECK(run_state(*c) == ThreadRunState::kBlockedReply);
  CHECK(fails_with(thread_suspend(*c), Error::kBusy));
  CHECK(fails_with(thread_suspend(*c), Error::kBusy));  // still pending
  abi::ThreadState s;
  CHECK(thread_read_state(*c, s).ok());
  CHECK(fails_with(thread_write_state(*c, s), Error::kBusy));  // not stopped yet
  m = make_message(99);
  CHECK(ipc_reply(m).ok());
  CHECK(suspend_when_stopped(*c) && run_state(*c) == ThreadRunState::kSuspended);
  CHECK(call_message.header.label == 99 && !call_done);
  CHECK(thread_read_state(*c, s).ok() && s.rax == 0 && at_syscall_instruction(s.rip - 2));
  CHECK(thread_resume(*c).ok());
  sleep_ms(5);
  CHECK(call_done);
  CHECK(handle_close(*c).ok() && handle_close(ep).ok());
  return true;
}

Handle owed_endpoint = 0;
volatile bool owed_answered = false;
volatile bool owed_go = false;

// Takes one call, then answers it only once told to (owed_go).
[[noreturn]] void answer_when_told(uint64_t) {
  abi::Message m{};
  if (!ipc_recv(owed_endpoint, m).ok()) thread_exit();
  while (!owed_go) sleep_ms(1);
  m = make_message(42);
  owed_answered = ipc_reply(m).ok();
  thread_exit();
}

// A thread that took a call and owes its reply cannot stop: the caller's reply would stay
// behind with it, or be lost. It stops once it has answered.
bool owed_reply_suspends_after_answering() {
  owed_endpoint = endpoint_create().value_or(0);
  owed_answered = false;
  owed_go = false;
  call_done = false;
  auto server = start_thread(answer_when_told, 0, 0, kHighPriority);
  auto caller = start_thread(call_once, owed_endpoint, 1, kHighPriority);
  CHECK(server.ok() && caller.ok());
  sleep_ms(5);
  CHECK(run_state(*caller) == ThreadRunState::kBlockedReply && !owed_answered);
  CHECK(fails_with(thread_suspend(*server), Error::kBusy));
  sleep_ms(5);  // it runs (sleeps) meanwhile, owing: not stopped
  CHECK(run_state(*server) != ThreadRunState::kSuspended);
  owed_go = true;
  // It stops on its way out of ipc_reply: the caller has its answer, the server has yet to
  // look at the result.
  CHECK(suspend_when_stopped(*server) && !owed_answered);
  sleep_ms(5);
  CHECK(call_done && call_message.header.label == 42);
  CHECK(thread_resume(*server).ok());
  sleep_ms(5);
  CHECK(owed_answered);
  for (Handle h : {*server, *caller, owed_endpoint}) CHECK(handle_close(h).ok());
  return true;
}

// Revoking a copy of an endpoint wakes the senders queued through it (or any copy derived
// from it) with kBadHandle and nothing delivered; senders through other copies wait on.
bool revoke_cancels_queued_senders() {
  Handle ep = endpoint_create().value_or(0);
  Handle master = handle_duplicate(ep, abi::kRightWrite | abi::kRightDuplicate).value_or(0);
  Handle path = handle_duplicate(master, abi::kRightWrite).value_or(0);
  Handle other = handle_duplicate(ep, abi::kRightWrite).value_or(0);
  CHECK(ep != 0 && master != 0 && path != 0 && other != 0);
  send_result = 1;
  auto cut = start_thread(send_once, path, 0, kHighPriority);
  CHECK(cut.ok() && run_state(*cut) == ThreadRunState::kBlockedSend);
  CHECK(handle_revoke(master).ok());
  sleep_ms(5);
  CHECK(send_result == -int64_t(Error::kBadHandle));
  send_result = 1;
  auto kept = start_thread(send_once, other, 1, kHighPriority);
  CHECK(kept.ok() && run_state(*kept) == ThreadRunState::kBlockedSend);
  CHECK(handle_revoke(master).ok());  // other does not derive from master
  CHECK(run_state(*kept) == ThreadRunState::kBlockedSend);
  abi::Message m{};
  CHECK(ipc_recv(ep, m).ok() && m.header.label == 77);  // only the kept message came
  sleep_ms(5);
  CHECK(send_result == 0 && !ipc_recv(ep, m, 0).ok());
  for (Handle h : {*cut, *kept, ep, master, path, other}) CHECK(handle_close(h).ok());
  return true;
}

// A revoked handle is still listed, flagged, so that its slot can move with its task.
bool revoked_handles_are_listed_flagged() {
  Handle task = task_create(0, 0, 0).value_or(0);
  Handle n = notification_create().value_or(0);
  CHECK(task != 0 && n != 0);
  Handle given = handle_transfer(task, n, abi::kRightWrite).value_or(0);
  abi::HandleListEntry list[2];
  CHECK(task_handles(task, 0, list, 2).value_or(0) == 1 && list[0].flags == 0);
  CHECK(handle_revoke(n).ok());
  CHECK(task_handles(task, 0, list, 2).value_or(0) == 1);
  CHECK(list[0].value == given && (list[0].flags & abi::kHandleRevoked) != 0);
  CHECK(task_kill(task, 0).ok());
  CHECK(handle_close(task).ok() && handle_close(n).ok());
  return true;
}

// The known issue: a thread stopped while blocked in a call and given new registers runs
// with exactly those, not with the call's result in rax (nor rcx lost to sysretq).
bool rewritten_blocked_thread_runs_as_written() {
  Handle n = notification_create().value_or(0);
  waiter_done = false;
  ktest_stored_registers[0] = ktest_stored_registers[1] = 0;
  auto t = start_thread(wait_once, n, 0, kHighPriority);
  CHECK(t.ok() && run_state(*t) == ThreadRunState::kBlockedNotification);
  CHECK(thread_suspend(*t).ok());
  abi::ThreadState s;
  CHECK(thread_read_state(*t, s).ok());
  s.rip = reinterpret_cast<uint64_t>(ktest_store_rax_rcx);
  s.rax = 0x1234'5678;
  s.rcx = 0xc0ffee;
  CHECK(thread_write_state(*t, s).ok());
  CHECK(notification_signal(n, 1).ok());  // would complete the old wait, were it still there
  CHECK(thread_resume(*t).ok());
  sleep_ms(5);
  CHECK(ktest_stored_registers[0] == 0x1234'5678 && ktest_stored_registers[1] == 0xc0ffee);
  CHECK(!waiter_done && notification_wait(n, 0).value_or(0) == 1);
  CHECK(handle_close(*t).ok() && handle_close(n).ok());
  return true;
}

[[noreturn]] void wait_forever(uint64_t notification) {
  (void)notification_wait(Handle(notification));
  task_exit(1);
}

[[noreturn]] void touch_unmapped(uint64_t) {
  *reinterpret_cast<volatile uint64_t*>(0x2000'0000) = 1;
  task_exit(1);
}

// A migrated task's source is killed with its threads stopped in system calls: threads
// that die blocked (waiting, suspended out of a wait, or waiting for the pager) leave no
// kernel object behind.
bool killed_waiters_leave_nothing() {
  auto before = memory_info();
  Handle n = notification_create().value_or(0);
  Handle remote = 0;
  auto sibling = make_sibling(wait_forever, 0, 0, 0, &n, &remote, 1);
  CHECK(before.ok() && sibling.ok());
  abi::ThreadState s;
  CHECK(thread_read_state(sibling->thread, s).ok());
  s.rdi = remote;
  CHECK(thread_write_state(sibling->thread, s).ok());
  CHECK(thread_start(sibling->thread, kHighPriority).ok());
  auto second = thread_create(sibling->task, reinterpret_cast<uint64_t>(wait_forever),
                              abi::kUserStackTop - 4 * 4096 - 8, remote);
  CHECK(second.ok() && thread_start(*second, kHighPriority).ok());
  CHECK(run_state(sibling->thread) == ThreadRunState::kBlockedNotification);
  CHECK(run_state(*second) == ThreadRunState::kBlockedNotification);
  CHECK(thread_suspend(*second).ok());
  CHECK(task_kill(sibling->task, 0).ok());
  for (Handle h : {sibling->task, sibling->thread, *second, n}) CHECK(handle_close(h).ok());
  // A fault the pager took and refuses: the task ends while its thread waits for the reply.
  Handle pager = endpoint_create().value_or(0);
  auto faulting = make_sibling(touch_unmapped, 0, pager, 0, nullptr, nullptr, 0);
  CHECK(faulting.ok() && thread_start(faulting->thread, kHighPriority).ok());
  abi::Message m{};
  CHECK(ipc_recv(pager, m).ok() && m.header.label == abi::kLabelPageFault);
  m = make_message(abi::kLabelFaultRefused);
  CHECK(ipc_reply(m).ok());
  for (Handle h : {faulting->task, faulting->thread, pager}) CHECK(handle_close(h).ok());
  auto after = memory_info();
  CHECK(after.ok() && after->kernel_objects == before->kernel_objects);
  CHECK(after->user_frames == before->user_frames);
  return true;
}

struct alignas(4096) RegisterDump {
  uint64_t go;
  uint64_t heartbeat;
  uint64_t gprs[16];  // rax rbx rcx rdx rsi rdi rbp rsp r8 .. r15
  uint8_t xmm7[16];
  uint64_t done;
};
static_assert(__builtin_offsetof(RegisterDump, gprs) == 16);
static_assert(__builtin_offsetof(RegisterDump, xmm7) == 144);
static_assert(__builtin_offsetof(RegisterDump, done) == 160);
volatile RegisterDump dump;  // shared with sibling tasks, which share the image

uint64_t* gprs_of(abi::ThreadState& s) {
  return &s.rax;  // rax .. r15: ThreadState's first 16 words, in the dump's order
}

// A thread given a complete state before its first start runs in exactly that state; its
// state, read while it runs and written into a new thread of another task, continues
// there with the same registers, SSE included, and the same FS base.
bool thread_state_moves_between_tasks() {
  auto a = make_sibling(reinterpret_cast<void (*)(uint64_t)>(ktest_register_dump), 0, 0, 0, nullptr,
                        nullptr, 0);
  auto b = make_sibling(reinterpret_cast<void (*)(uint64_t)>(ktest_register_dump), 0, 0, 0, nullptr,
                        nullptr, 0);
  CHECK(a.ok() && b.ok());
  dump.go = 0;
  dump.heartbeat = 0;
  dump.done = 0;
  abi::ThreadState s0;
  CHECK(thread_read_state(a->thread, s0).ok());
  for (int i = 0; i < 16; ++i) gprs_of(s0)[i] = 0x5a00'0000'0000'0000ull + uint64_t(i) * 0x1111;
  s0.rsp = abi::kUserStackTop - 256;
  s0.rip = reinterpret_cast<uint64_t>(ktest_register_dump);
  s0.rflags = 0x3202;  // IOPL 3 asked for: refused silently
  s0.fs_base = reinterpret_cast<uint64_t>(&dump);
  s0.gs_base = 0x4000'0000;
  for (int i = 0; i < 16; ++i) s0.fpu[kXmm7Offset + i] = uint8_t(0xa0 + i);
  abi::ThreadState bad = s0;
  bad.fs_base = 0xffff'8000'0000'0000ull;
  CHECK(fails_with(thread_write_state(a->thread, bad), Error::kInvalidArgument));
  CHECK(thread_write_state(a->thread, s0).ok());
  CHECK(thread_start(a->thread, kLowPriority).ok());
  sleep_ms(30);
  CHECK(dump.heartbeat > 0);  // it ran, counting through its FS base
  CHECK(thread_suspend(a->thread).ok());
  abi::ThreadState s1;
  CHECK(thread_read_state(a->thread, s1).ok());
  uint64_t rip = s1.rip;
  CHECK(rip >= reinterpret_cast<uint64_t>(ktest_register_dump) &&
        rip < reinterpret_cast<uint64_t>(ktest_register_dump_end));
  for (int i = 0; i < 16; ++i) CHECK(gprs_of(s1)[i] == gprs_of(s0)[i]);
  CHECK((s1.rflags & 0x3000) == 0 && (s1.rflags & 0x200) != 0);
  CHECK(s1.fs_base == s0.fs_base && s1.gs_base == s0.gs_base);
  CHECK(__builtin_memcmp(s1.fpu + kXmm7Offset, s0.fpu + kXmm7Offset, 16) == 0);
  // Move it: the old task ends, the new thread takes the state and is let go.
  CHECK(task_kill(a->task, 0).ok());
  CHECK(thread_write_state(b->thread, s1).ok());
  uint64_t beats = dump.heartbeat;
  CHECK(thread_start(b->thread, kLowPriority).ok());
  sleep_ms(10);
  CHECK(dump.heartbeat > beats);
  dump.go = 1;
  for (int i = 0; i < 100 && !dump.done; ++i) sleep_ms(5);
  CHECK(dump.done == 1);
  for (int i = 0; i < 16; ++i) CHECK(dump.gprs[i] == gprs_of(s1)[i]);
  for (int i = 0; i < 16; ++i) CHECK(dump.xmm7[i] == uint8_t(0xa0 + i));
  CHECK(task_kill(b->task, 0).ok());
  for (Handle h : {a->task, a->thread, b->task, b->thread}) CHECK(handle_close(h).ok());
  return true;
}

}  // namespace

void run_migration_tests(void (*run)(const char* name, bool (*test)())) {
  run("task_handles_lists_and_pages", task_handles_lists_and_pages);
  run("handle_install_at_chosen_values", handle_install_at_chosen_values);
  run("suspended_notification_wait_restarts", suspended_notification_wait_restarts);
  run("suspended_timed_wait_restarts_in_full", suspended_timed_wait_restarts_in_full);
  run("woken_thread_stops_after_its_call", woken_thread_stops_after_its_call);
  run("suspended_ipc_waits_restart", suspended_ipc_waits_restart);
  run("reply_phase_suspends_after_the_reply", reply_phase_suspends_after_the_reply);
  run("owed_reply_suspends_after_answering", owed_reply_suspends_after_answering);
  run("revoke_cancels_queued_senders", revoke_cancels_queued_senders);
  run("revoked_handles_are_listed_flagged", revoked_handles_are_listed_flagged);
  run("rewritten_blocked_thread_runs_as_written", rewritten_blocked_thread_runs_as_written);
  run("thread_state_moves_between_tasks", thread_state_moves_between_tasks);
  run("killed_waiters_leave_nothing", killed_waiters_leave_nothing);
}

}  // namespace atoll_os::guest
