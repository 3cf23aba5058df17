// memtouch SIZE [RATE]: a memory workload for migration. Allocates SIZE bytes (suffix K, M
// or G) and writes every page once, as fast as possible; with RATE 0 it then exits, else it
// goes on rewriting whole pages, RATE pages per second round-robin (a process of SIZE
// resident bytes with a steady dirty rate, for the migration benchmarks and pre-copy). Once a
// second it checks every touched page against the pattern it last wrote and prints
// "memtouch: touched N pages, checksum 0x...": a migration that loses or mixes up a page
// shows as a mismatch, and equal checksums before and after show that nothing changed. With a
// RATE it also prints, after each report, the page writes it managed since the last one:
// "memtouch: rate touches=N ms=M per_s=R" (the benchmarks' post-migration slowdown).
#include <stdint.h>

#include "atoll/user/clock.h"
#include "atoll/user/heap.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"

namespace atoll_os::apps {
namespace {

using user::print;

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kWordsPerPage = kPageSize / sizeof(uint64_t);
constexpr uint64_t kNsPerSecond = 1'000'000'000;
constexpr uint64_t kReportIntervalNs = kNsPerSecond;
constexpr uint64_t kTickMs = 10;
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325;
constexpr uint64_t kFnvPrime = 0x100000001b3;
constexpr uint64_t kWordStride = 0x9e3779b97f4a7c15;  // makes every word of a page differ

// Word `index` of `page` after its `generation`-th write (generation >= 1, so never 0:
// an untouched, demand-zero page is never mistaken for a written one).
uint64_t pattern(uint64_t page, uint32_t generation, uint64_t index) {
  return ((page << 32) | generation) + index * kWordStride;
}

struct Region {
  uint64_t* words = nullptr;  // page-aligned
  uint64_t pages = 0;
  uint32_t* generations = nullptr;  // per page; 0: never written
  uint64_t next_page = 0;           // round-robin cursor
  uint64_t touches = 0;             // page writes so far
};

struct Mismatch {
  bool found = false;
  uint64_t page = 0, index = 0, expected = 0, actual = 0;
};

void touch_next_page(Region& region) {
  uint64_t page = region.next_page;
  region.next_page = (page + 1) % region.pages;
  uint32_t generation = ++region.generations[page];
  if (generation == 0) generation = region.generations[page] = 1;  // 0 means untouched
  uint64_t* words = region.words + page * kWordsPerPage;
  for (uint64_t i = 0; i < kWordsPerPage; ++i) words[i] = pattern(page, generation, i);
  ++region.touches;
}

// FNV-1a over the words of every touched page, checking each against its pattern.
// Untouched pages are skipped, not read: reading would make the pager map them.
uint64_t checksum(const Region& region, Mismatch& mismatch) {
  uint64_t hash = kFnvOffsetBasis;
  for (uint64_t page = 0; page < region.pages; ++page) {
    uint32_t generation = region.generations[page];
    if (generation == 0) continue;
    const uint64_t* words = region.words + page * kWordsPerPage;
    for (uint64_t i = 0; i < kWordsPerPage; ++i) {
      uint64_t expected = pattern(page, generation, i);
      if (words[i] != expected && !mismatch.found) mismatch = {true, page, i, expected, words[i]};
      hash = (hash ^ words[i]) * kFnvPrime;
    }
  }
  return hash;
}

// Prints one report; false if memory no longer holds what was written.
bool report(const Region& region) {
  Mismatch mismatch;
  uint64_t hash = checksum(region, mismatch);
  print("memtouch: touched %llu pages, checksum 0x%016llx\n",
        static_cast<unsigned long long>(region.touches), static_cast<unsigned long long>(hash));
  if (!mismatch.found) return true;
  print("memtouch: MISMATCH page %llu word %llu: expected 0x%016llx, found 0x%016llx\n",
        static_cast<unsigned long long>(mismatch.page),
        static_cast<unsigned long long>(mismatch.index),
        static_cast<unsigned long long>(mismatch.expected),
        static_cast<unsigned long long>(mismatch.actual));
  return false;
}

// Elapsed time as the sum of forward steps of the clock: a migration to a node whose clock
// is behind must not stop the workload, nor one whose clock is ahead flood it.
class Stopwatch {
 public:
  Stopwatch() : last_(user::now_ns()) {}
  uint64_t elapsed_ns() {
    uint64_t now = user::now_ns();
    if (now > last_) elapsed_ += now - last_;
    last_ = now;
    return elapsed_;
  }

 private:
  uint64_t last_;
  uint64_t elapsed_ = 0;
};

// Pages due after `elapsed_ns` at `rate` pages/s, without overflowing for long runs.
uint64_t pages_due(uint64_t rate, uint64_t elapsed_ns) {
  return elapsed_ns / kNsPerSecond * rate + elapsed_ns % kNsPerSecond * rate / kNsPerSecond;
}

int touch_once(Region& region) {
  uint64_t start = user::now_ns();
  while (region.touches < region.pages) touch_next_page(region);
  uint64_t ms = (user::now_ns() - start) / 1'000'000;
  print("memtouch: wrote %llu pages in %llu ms\n", static_cast<unsigned long long>(region.pages),
        static_cast<unsigned long long>(ms));
  return report(region) ? 0 : 1;
}

// Page writes between two reports and the time between them, by this process's stopwatch.
struct RateWindow {
  uint64_t touches = 0;
  uint64_t ns = 0;
};

void report_rate(const Region& region, RateWindow& window, uint64_t elapsed_ns) {
  uint64_t touches = region.touches - window.touches;
  uint64_t ms = (elapsed_ns - window.ns) / 1'000'000;
  print("memtouch: rate touches=%llu ms=%llu per_s=%llu\n",
        static_cast<unsigned long long>(touches), static_cast<unsigned long long>(ms),
        static_cast<unsigned long long>(ms == 0 ? 0 : touches * 1000 / ms));
  window = {region.touches, elapsed_ns};
}

int touch_at_rate(Region& region, uint64_t rate) {
  while (region.touches < region.pages) touch_next_page(region);  // all of SIZE resident
  if (!report(region)) return 1;
  Stopwatch stopwatch;
  RateWindow window{region.touches, 0};
  uint64_t next_report_ns = kReportIntervalNs;
  uint64_t credited = 0;  // page writes done or forgiven
  for (;;) {
    uint64_t elapsed = stopwatch.elapsed_ns();
    uint64_t due = pages_due(rate, elapsed);
    // After a long stop (a migration's freeze) catch up one second's worth at most.
    if (due > credited + rate) credited = due - rate;
    for (; credited < due; ++credited) touch_next_page(region);
    if (elapsed >= next_report_ns) {
      if (!report(region)) return 1;
      report_rate(region, window, elapsed);
      next_report_ns = elapsed + kReportIntervalNs;
    }
    if (!user::sleep_ms(kTickMs).ok()) return 1;
  }
}

bool allocate(Region& region, uint64_t bytes) {
  region.pages = (bytes + kPageSize - 1) / kPageSize;
  // One spare page to align the start; fresh heap memory stays untouched until written.
  auto* raw = static_cast<uint8_t*>(malloc(region.pages * kPageSize + kPageSize));
  region.generations = static_cast<uint32_t*>(calloc(region.pages, sizeof(uint32_t)));
  if (raw == nullptr || region.generations == nullptr) return false;
  auto aligned = (reinterpret_cast<uintptr_t>(raw) + kPageSize - 1) & ~(kPageSize - 1);
  region.words = reinterpret_cast<uint64_t*>(aligned);
  return true;
}

}  // namespace
}  // namespace atoll_os::apps

int main(int argc, char** argv) {
  using namespace atoll_os;
  auto size =
      argc >= 2 ? user::parse_size(argv[1]) : Result<uint64_t>(Err(Error::kInvalidArgument));
  auto rate = argc >= 3 ? user::parse_unsigned(argv[2]) : Result<uint64_t>(0);
  if (argc > 3 || !size.ok() || *size == 0 || !rate.ok()) {
    user::print("usage: memtouch SIZE[K|M|G] [RATE pages/s, 0 = all pages once]\n");
    return 2;
  }
  apps::Region region;
  if (!apps::allocate(region, *size)) {
    user::print("memtouch: cannot allocate %llu bytes\n", static_cast<unsigned long long>(*size));
    return 1;
  }
  user::print("memtouch: %llu pages at %p, rate %llu pages/s\n",
              static_cast<unsigned long long>(region.pages), static_cast<void*>(region.words),
              static_cast<unsigned long long>(*rate));
  return *rate == 0 ? apps::touch_once(region) : apps::touch_at_rate(region, *rate);
}
