// The offer's wire format, byte by byte.
#include "offer.h"

namespace atoll_os::servers::trader {
namespace {

constexpr uint8_t kMagic[4] = {'A', 'T', 'R', 'D'};

void put(std::span<uint8_t> out, size_t at, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t get(std::span<const uint8_t> in, size_t at, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value |= uint64_t{in[at + i]} << (8 * i);
  return value;
}

const char* broken_rule(const Offer& offer) {
  if (offer.node >= kNodeLimit) return "node out of range";
  if (offer.isa == 0) return "no instruction set";
  if (offer.mem_free_pages > offer.mem_total_pages) return "more memory free than there is";
  return nullptr;
}

}  // namespace

Result<size_t> encode_offer(const Offer& offer, std::span<uint8_t> out) {
  if (out.size() < kOfferWireSize) return Err(Error::kOutOfRange);
  if (broken_rule(offer) != nullptr) return Err(Error::kInvalidArgument);
  for (size_t i = 0; i < 4; ++i) out[i] = kMagic[i];
  put(out, 4, kOfferVersion, 2);
  put(out, 6, offer.node, 2);
  put(out, 8, offer.incarnation, 8);
  put(out, 16, offer.sequence, 8);
  put(out, 24, offer.isa, 4);
  put(out, 28, offer.abi_version, 4);
  put(out, 32, offer.features.leaf1_ecx, 4);
  put(out, 36, offer.features.leaf1_edx, 4);
  put(out, 40, offer.features.leaf7_ebx, 4);
  put(out, 44, offer.features.leaf7_ecx, 4);
  put(out, 48, offer.mem_total_pages, 8);
  put(out, 56, offer.mem_free_pages, 8);
  put(out, 64, offer.load_milli, 4);
  put(out, 68, offer.processes, 4);
  return kOfferWireSize;
}

Result<Offer> decode_offer(std::span<const uint8_t> in, const char** reason) {
  auto refuse = [&](Error error, const char* why) {
    if (reason != nullptr) *reason = why;
    return Err(error);
  };
  if (in.size() < kOfferWireSize) return refuse(Error::kTruncated, "shorter than an offer");
  if (in.size() > kOfferWireSize) return refuse(Error::kBadFormat, "trailing bytes");
  for (size_t i = 0; i < 4; ++i) {
    if (in[i] != kMagic[i]) return refuse(Error::kBadFormat, "not an offer (bad magic)");
  }
  if (get(in, 4, 2) != kOfferVersion) return refuse(Error::kBadFormat, "unknown offer version");
  Offer offer{};
  offer.node = static_cast<uint32_t>(get(in, 6, 2));
  offer.incarnation = get(in, 8, 8);
  offer.sequence = get(in, 16, 8);
  offer.isa = static_cast<uint32_t>(get(in, 24, 4));
  offer.abi_version = static_cast<uint32_t>(get(in, 28, 4));
  offer.features = {static_cast<uint32_t>(get(in, 32, 4)), static_cast<uint32_t>(get(in, 36, 4)),
                    static_cast<uint32_t>(get(in, 40, 4)), static_cast<uint32_t>(get(in, 44, 4))};
  offer.mem_total_pages = get(in, 48, 8);
  offer.mem_free_pages = get(in, 56, 8);
  offer.load_milli = static_cast<uint32_t>(get(in, 64, 4));
  offer.processes = static_cast<uint32_t>(get(in, 68, 4));
  if (const char* why = broken_rule(offer); why != nullptr) return refuse(Error::kBadFormat, why);
  return offer;
}

}  // namespace atoll_os::servers::trader
