// The page map of a lazily migrated space: sorted runs with a bit per page.
#include "page_map.h"

namespace atoll_os::servers::mm {
namespace {

constexpr uint64_t kPage = kSlicePageBytes;

uint64_t run_end(const MapRun& run) {
  return run.start + uint64_t{run.pages} * kPage;
}

// Bits [from, from + count) of a word.
uint64_t bits(uint32_t from, uint32_t count) {
  uint64_t ones = count >= 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1;
  return ones << from;
}

}  // namespace

Result<void> PageMap::add(const PageRun& run) {
  if (run.start % kPage != 0 || run.pages == 0 || run.pages > kMaxRunPages ||
      run.start + uint64_t{run.pages} * kPage < run.start) {
    return Err(Error::kInvalidArgument);
  }
  if (count_ == kMapRuns) return Err(Error::kOutOfRange);
  size_t at = 0;
  while (at < count_ && runs_[at].start < run.start) ++at;
  const uint64_t end = run.start + uint64_t{run.pages} * kPage;
  if ((at > 0 && run_end(runs_[at - 1]) > run.start) || (at < count_ && runs_[at].start < end)) {
    return Err(Error::kAlreadyExists);
  }
  for (size_t i = count_; i > at; --i) runs_[i] = runs_[i - 1];
  runs_[at] = {run.start, run.pages, run.flags, bits(0, run.pages)};
  ++count_;
  left_ += run.pages;
  return success();
}

size_t PageMap::find(uint64_t address) const {
  size_t low = 0;
  size_t high = count_;
  while (low < high) {
    size_t mid = low + (high - low) / 2;
    if (run_end(runs_[mid]) <= address) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low < count_ && runs_[low].start <= address ? low : count_;
}

bool PageMap::missing(uint64_t address, uint32_t* flags) const {
  size_t i = find(address);
  if (i == count_) return false;
  uint32_t index = static_cast<uint32_t>((address - runs_[i].start) / kPage);
  if ((runs_[i].missing >> index & 1) == 0) return false;
  if (flags != nullptr) *flags = runs_[i].flags;
  return true;
}

uint32_t PageMap::missing_from(uint64_t page, uint32_t max) const {
  size_t i = find(page);
  if (i == count_ || page % kPage != 0) return 0;
  const MapRun& run = runs_[i];
  uint32_t n = 0;
  for (uint32_t index = static_cast<uint32_t>((page - run.start) / kPage);
       index < run.pages && n < max && (run.missing >> index & 1) != 0; ++index) {
    ++n;
  }
  return n;
}

uint64_t PageMap::arrive(uint64_t page, uint32_t pages) {
  size_t i = find(page);
  if (i == count_ || page % kPage != 0) return 0;
  MapRun& run = runs_[i];
  uint32_t index = static_cast<uint32_t>((page - run.start) / kPage);
  uint32_t count = pages < run.pages - index ? pages : run.pages - index;
  uint64_t arrived = run.missing & bits(index, count);
  run.missing &= ~arrived;
  uint64_t n = static_cast<uint64_t>(__builtin_popcountll(arrived));
  left_ -= n;
  return n;
}

bool PageMap::next_missing(uint64_t from, uint32_t max, uint64_t& page, uint32_t& pages) const {
  if (left_ == 0 || max == 0) return false;
  size_t first = 0;
  while (first < count_ && run_end(runs_[first]) <= from) ++first;
  // The run holding `from` from there on, the runs after it, then round to where it began.
  for (size_t k = 0; k <= count_; ++k) {
    const MapRun& run = runs_[(first + k) % count_];
    uint64_t mask = run.missing;
    if (k == 0 && from > run.start) {
      uint64_t skip = (from - run.start) / kPage;
      mask = skip >= 64 ? 0 : mask & ~bits(0, static_cast<uint32_t>(skip));
    }
    if (mask == 0) continue;
    page = run.start + uint64_t{static_cast<uint32_t>(__builtin_ctzll(mask))} * kPage;
    pages = missing_from(page, max);
    return true;
  }
  return false;
}

}  // namespace atoll_os::servers::mm
