// What a trader offers for its node (the attributes queries are evaluated against) and the
// versioned wire format traders send each other through ipcm (docs/trader.md).
//
//   offset size  field
//   0      4     magic            "ATRD"
//   4      2     version          kOfferVersion
//   6      2     node             < 0x8000
//   8      8     incarnation      the sender's boot id
//   16     8     sequence         1, 2, ... per incarnation
//   24     4     isa              ELF e_machine (62: x86-64), nonzero
//   28     4     abi_version      the kernel's
//   32     16    features         CPUID leaf 1 ecx, edx, leaf 7 ebx, ecx
//   48     8     mem_total_pages
//   56     8     mem_free_pages   <= mem_total_pages
//   64     4     load_milli       run-queue length averaged, in thousandths
//   68     4     processes        live processes
//
// Integers are little-endian, written byte by byte; decode refuses anything else with a
// reason and never reads past its input.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <span>

#include "atoll/protocols/pm.h"
#include "atoll/result.h"

namespace atoll_os::servers::trader {

inline constexpr uint16_t kOfferVersion = 1;
inline constexpr size_t kOfferWireSize = 72;
inline constexpr uint32_t kIsaX86_64 = 62;  // EM_X86_64
inline constexpr uint32_t kNodeLimit = 0x8000;

struct Offer {
  uint32_t node;
  uint64_t incarnation;
  uint64_t sequence;
  uint32_t isa;
  uint32_t abi_version;
  protocols::pm::CpuFeatures features;
  uint64_t mem_total_pages;
  uint64_t mem_free_pages;
  uint32_t load_milli;
  uint32_t processes;
};

/// Writes `offer` into `out` (kOfferWireSize bytes). kOutOfRange if `out` is smaller,
/// kInvalidArgument if the offer breaks a rule decode checks.
Result<size_t> encode_offer(const Offer& offer, std::span<uint8_t> out);
/// Reads exactly one offer. kTruncated for a short input, kBadFormat for anything else
/// decode does not accept (`*reason`, if given, says what).
Result<Offer> decode_offer(std::span<const uint8_t> in, const char** reason = nullptr);

}  // namespace atoll_os::servers::trader
