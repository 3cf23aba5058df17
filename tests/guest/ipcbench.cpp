// ipcbench: the kernel's IPC round trip and null system call in TSC ticks, run as init
// (boot: init=ipcbench poweroff_on_init_exit). Under `-icount shift=0` one TSC tick is one
// guest instruction, so the figures are instruction counts; under plain TCG they are not.
#include "atoll/abi/process.h"
#include "atoll/user/print.h"
#include "atoll/user/syscalls.h"
#include "sibling.h"

using namespace atoll_os;
using namespace atoll_os::user;

namespace {

constexpr int kWarmup = 1000;
constexpr int kSamples = 20001;

uint64_t tsc() {
  uint32_t low, high;
  asm volatile("rdtsc" : "=a"(low), "=d"(high));
  return (uint64_t(high) << 32) | low;
}

// Answers each call with the same 8-byte payload, forever.
[[noreturn]] void echo_server(uint64_t endpoint) {
  abi::Message m{};
  if (!ipc_recv(abi::Handle(endpoint), m).ok()) task_exit(1);
  for (;;) {
    if (!ipc_reply_recv(abi::Handle(endpoint), m).ok()) task_exit(2);
  }
}

uint64_t samples[kSamples];

void sort(uint64_t* a, int n) {  // insertion sort would be 4e8 steps; shell sort is enough
  for (int gap = n / 2; gap > 0; gap /= 2) {
    for (int i = gap; i < n; ++i) {
      uint64_t v = a[i];
      int j = i;
      for (; j >= gap && a[j - gap] > v; j -= gap) a[j] = a[j - gap];
      a[j] = v;
    }
  }
}

uint64_t median_of(int n) {
  sort(samples, n);
  return samples[n / 2];
}

uint64_t measure_null() {
  for (int i = 0; i < kWarmup; ++i) (void)null_syscall();
  for (int i = 0; i < kSamples; ++i) {
    uint64_t start = tsc();
    (void)null_syscall();
    samples[i] = tsc() - start;
  }
  return median_of(kSamples);
}

uint64_t measure_roundtrip(abi::Handle ep) {
  abi::Message m{};
  m.header.length = 8;
  for (int i = 0; i < kWarmup; ++i) (void)ipc_call(ep, m);
  for (int i = 0; i < kSamples; ++i) {
    m.header = {};
    m.header.length = 8;
    uint64_t start = tsc();
    (void)ipc_call(ep, m);
    samples[i] = tsc() - start;
  }
  return median_of(kSamples);
}

// Wall-clock nanoseconds per round trip over many calls (meaningful under plain TCG).
uint64_t roundtrip_ns(abi::Handle ep) {
  abi::Message m{};
  constexpr int kCalls = 20000;
  uint64_t start = clock_ns();
  for (int i = 0; i < kCalls; ++i) {
    m.header = {};
    m.header.length = 8;
    (void)ipc_call(ep, m);
  }
  return (clock_ns() - start) / kCalls;
}

}  // namespace

int main(int, char**) {
  abi::Handle ep = endpoint_create().value_or(0);
  abi::Handle remote = 0;
  auto server = guest::make_sibling(echo_server, 0, 0, 0, &ep, &remote, 1);
  if (!server.ok()) return 1;
  abi::ThreadState state;
  if (!thread_read_state(server->thread, state).ok()) return 2;
  state.rdi = remote;
  if (!thread_write_state(server->thread, state).ok()) return 3;
  if (!thread_start(server->thread, 20).ok()) return 4;
  uint64_t null_ticks = measure_null();
  uint64_t roundtrip_ticks = measure_roundtrip(ep);
  uint64_t ns = roundtrip_ns(ep);
  print("ipcbench: null_syscall_ticks=%lu roundtrip_ticks=%lu roundtrip_ns=%lu samples=%d\n",
        null_ticks, roundtrip_ticks, ns, kSamples);
  return 0;
}
