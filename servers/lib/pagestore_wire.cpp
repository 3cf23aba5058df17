// The page store's wire format: encoders and bounds-checked decoders.
#include "pagestore_wire.h"

#include <initializer_list>

#include "little_endian.h"

namespace atoll_os::servers::pagestore {
namespace {

// Records why and returns the error, so that a decoder reads `return refuse(...)`.
Error refuse(const char** reason, Error error, const char* why) {
  if (reason != nullptr) *reason = why;
  return error;
}

bool known_op(uint16_t op) {
  return op >= uint16_t(Op::kPut) && op <= uint16_t(Op::kStats);
}

bool page_aligned(uint64_t vaddr) {
  return (vaddr & (kPageBytes - 1)) == 0;
}

int popcount(uint64_t bits) {
  return __builtin_popcountll(bits);
}

// The request body sizes `op` allows: an exact size, or for put whole entries 1 .. 64.
bool request_body_fits(Op op, uint32_t bytes) {
  switch (op) {
    case Op::kPut: {
      if (bytes < put_body_bytes(1) || bytes > kMaxRequestBody) return false;
      return (bytes - kPutPrefixBytes) % kPutEntryBytes == 0;
    }
    case Op::kGet: return bytes == kGetBodyBytes;
    case Op::kDrop: return bytes == kDropBodyBytes;
    case Op::kStats: return bytes == 0;
  }
  return false;
}

bool reply_body_fits(Op op, uint32_t bytes) {
  switch (op) {
    case Op::kPut: return bytes == kPutReplyBytes;
    case Op::kGet:
      return bytes >= kGetReplyPrefixBytes && bytes <= kMaxReplyBody &&
             (bytes - kGetReplyPrefixBytes) % kPageBytes == 0;
    case Op::kDrop: return bytes == kDropReplyBytes;
    case Op::kStats: return bytes == kStatsReplyBytes;
  }
  return false;
}

}  // namespace

Result<uint32_t> node_ip(uint32_t own_ip, uint64_t own_node, uint64_t store_node) {
  const uint32_t host = __builtin_bswap32(own_ip);  // network order to arithmetic order
  const uint64_t last = host & 0xff;
  if (own_node > last || store_node > 254 || last - own_node + store_node > 254) {
    return Err(Error::kOutOfRange);
  }
  return __builtin_bswap32((host & ~0xffu) | uint32_t(last - own_node + store_node));
}

PageRef PutRequest::page(uint32_t i) const {
  const uint8_t* entry = entries.data() + size_t{i} * kPutEntryBytes;
  LittleEndianReader reader(std::span<const uint8_t>(entry, 8));
  return {reader.u64(), entry + 8};
}

const uint8_t* GetReply::page(uint32_t i) const {
  if (i >= count || (present & (uint64_t{1} << i)) == 0) return nullptr;
  int before = popcount(present & ((uint64_t{1} << i) - 1));
  return pages.data() + size_t(before) * kPageBytes;
}

Result<size_t> encode_request_header(std::span<uint8_t> out, Op op, uint32_t body_bytes,
                                     uint32_t sequence) {
  if (out.size() < kRequestHeaderBytes) return Err(Error::kOutOfRange);
  LittleEndianWriter writer(out.data());
  writer.u32(kRequestMagic);
  writer.u16(kWireVersion);
  writer.u16(uint16_t(op));
  writer.u32(body_bytes);
  writer.u32(sequence);
  return writer.used();
}

Result<size_t> encode_put(std::span<uint8_t> out, uint32_t sequence, uint64_t pid,
                          std::span<const PageRef> pages) {
  if (pages.empty() || pages.size() > kMaxPagesPerRequest) return Err(Error::kInvalidArgument);
  const uint32_t count = uint32_t(pages.size());
  const size_t body = put_body_bytes(count);
  if (out.size() < kRequestHeaderBytes + body) return Err(Error::kOutOfRange);
  TRY(encode_request_header(out, Op::kPut, uint32_t(body), sequence));
  LittleEndianWriter writer(out.data() + kRequestHeaderBytes);
  writer.u64(pid);
  writer.u32(count);
  writer.u32(0);
  for (const PageRef& page : pages) {
    writer.u64(page.vaddr);
    writer.bytes(page.data, kPageBytes);
  }
  return kRequestHeaderBytes + writer.used();
}

Result<size_t> encode_get(std::span<uint8_t> out, uint32_t sequence, const GetRequest& get) {
  if (out.size() < kRequestHeaderBytes + kGetBodyBytes) return Err(Error::kOutOfRange);
  TRY(encode_request_header(out, Op::kGet, kGetBodyBytes, sequence));
  LittleEndianWriter writer(out.data() + kRequestHeaderBytes);
  writer.u64(get.pid);
  writer.u64(get.vaddr);
  writer.u32(get.count);
  writer.u32(0);
  return kRequestHeaderBytes + writer.used();
}

Result<size_t> encode_drop(std::span<uint8_t> out, uint32_t sequence, uint64_t pid) {
  if (out.size() < kRequestHeaderBytes + kDropBodyBytes) return Err(Error::kOutOfRange);
  TRY(encode_request_header(out, Op::kDrop, kDropBodyBytes, sequence));
  LittleEndianWriter writer(out.data() + kRequestHeaderBytes);
  writer.u64(pid);
  return kRequestHeaderBytes + writer.used();
}

Result<size_t> encode_stats(std::span<uint8_t> out, uint32_t sequence) {
  return encode_request_header(out, Op::kStats, 0, sequence);
}

Result<size_t> encode_reply_header(std::span<uint8_t> out, Op op, Error error, uint32_t body_bytes,
                                   uint32_t sequence, const char* reason) {
  if (out.size() < kReplyHeaderBytes) return Err(Error::kOutOfRange);
  LittleEndianWriter writer(out.data());
  writer.u32(kReplyMagic);
  writer.u16(kWireVersion);
  writer.u16(uint16_t(op));
  writer.u32(uint32_t(int32_t(error)));
  writer.u32(body_bytes);
  writer.u32(sequence);
  writer.u32(0);
  char text[kReasonBytes] = {};
  for (size_t i = 0; reason != nullptr && reason[i] != '\0' && i + 1 < kReasonBytes; ++i) {
    text[i] = reason[i];
  }
  writer.bytes(text, kReasonBytes);
  return writer.used();
}

Result<size_t> encode_put_reply(std::span<uint8_t> out, const PutReply& reply) {
  if (out.size() < kPutReplyBytes) return Err(Error::kOutOfRange);
  LittleEndianWriter writer(out.data());
  writer.u32(reply.stored);
  writer.u32(reply.added);
  return writer.used();
}

Result<size_t> encode_get_reply_prefix(std::span<uint8_t> out, uint32_t count, uint64_t present) {
  if (out.size() < kGetReplyPrefixBytes) return Err(Error::kOutOfRange);
  LittleEndianWriter writer(out.data());
  writer.u32(count);
  writer.u32(0);
  writer.u64(present);
  return writer.used();
}

Result<size_t> encode_drop_reply(std::span<uint8_t> out, uint64_t dropped) {
  if (out.size() < kDropReplyBytes) return Err(Error::kOutOfRange);
  LittleEndianWriter writer(out.data());
  writer.u64(dropped);
  return writer.used();
}

Result<size_t> encode_stats_reply(std::span<uint8_t> out, const StoreStats& stats) {
  if (out.size() < kStatsReplyBytes) return Err(Error::kOutOfRange);
  LittleEndianWriter writer(out.data());
  for (uint64_t v : {stats.memory_pages, stats.disk_pages, stats.bytes, stats.memory_capacity,
                     stats.disk_capacity, stats.spilled, stats.refused, stats.pids}) {
    writer.u64(v);
  }
  return writer.used();
}

Result<RequestHeader> decode_request_header(std::span<const uint8_t> in, const char** reason) {
  if (in.size() < kRequestHeaderBytes) {
    return Err(refuse(reason, Error::kTruncated, "request header cut short"));
  }
  if (in.size() > kRequestHeaderBytes) {
    return Err(refuse(reason, Error::kBadFormat, "request header too long"));
  }
  LittleEndianReader reader(in);
  uint32_t magic = reader.u32();
  uint16_t version = reader.u16();
  uint16_t op = reader.u16();
  RequestHeader header{Op(op), reader.u32(), reader.u32()};
  if (magic != kRequestMagic) return Err(refuse(reason, Error::kBadFormat, "bad magic"));
  if (version != kWireVersion) return Err(refuse(reason, Error::kBadFormat, "unknown version"));
  if (!known_op(op)) return Err(refuse(reason, Error::kBadFormat, "unknown operation"));
  if (!request_body_fits(header.op, header.body_bytes)) {
    return Err(refuse(reason, Error::kBadFormat, "body size impossible for the operation"));
  }
  return header;
}

Result<PutRequest> decode_put(std::span<const uint8_t> body, const char** reason) {
  if (body.size() < kPutPrefixBytes) return Err(refuse(reason, Error::kTruncated, "put cut short"));
  LittleEndianReader reader(body.first(kPutPrefixBytes));
  PutRequest put{reader.u64(), reader.u32(), {}};
  uint32_t reserved = reader.u32();
  if (put.pid == 0) return Err(refuse(reason, Error::kBadFormat, "PID 0"));
  if (reserved != 0) return Err(refuse(reason, Error::kBadFormat, "reserved field set"));
  if (put.count == 0 || put.count > kMaxPagesPerRequest) {
    return Err(refuse(reason, Error::kBadFormat, "page count not 1 to 64"));
  }
  if (body.size() != put_body_bytes(put.count)) {
    return Err(refuse(
        reason, body.size() < put_body_bytes(put.count) ? Error::kTruncated : Error::kBadFormat,
        "body size does not match the page count"));
  }
  put.entries = body.subspan(kPutPrefixBytes);
  for (uint32_t i = 0; i < put.count; ++i) {
    uint64_t vaddr = put.page(i).vaddr;
    if (!page_aligned(vaddr)) return Err(refuse(reason, Error::kBadFormat, "unaligned address"));
    if (vaddr >= kUserAddressLimit) {
      return Err(refuse(reason, Error::kBadFormat, "address outside user space"));
    }
    for (uint32_t j = 0; j < i; ++j) {
      if (put.page(j).vaddr == vaddr) {
        return Err(refuse(reason, Error::kBadFormat, "a page twice in one put"));
      }
    }
  }
  return put;
}

Result<GetRequest> decode_get(std::span<const uint8_t> body, const char** reason) {
  if (body.size() < kGetBodyBytes) return Err(refuse(reason, Error::kTruncated, "get cut short"));
  if (body.size() > kGetBodyBytes) return Err(refuse(reason, Error::kBadFormat, "get too long"));
  LittleEndianReader reader(body);
  GetRequest get{reader.u64(), reader.u64(), reader.u32()};
  uint32_t reserved = reader.u32();
  if (get.pid == 0) return Err(refuse(reason, Error::kBadFormat, "PID 0"));
  if (reserved != 0) return Err(refuse(reason, Error::kBadFormat, "reserved field set"));
  if (get.count == 0 || get.count > kMaxPagesPerRequest) {
    return Err(refuse(reason, Error::kBadFormat, "page count not 1 to 64"));
  }
  if (!page_aligned(get.vaddr)) return Err(refuse(reason, Error::kBadFormat, "unaligned address"));
  if (get.vaddr >= kUserAddressLimit ||
      kUserAddressLimit - get.vaddr < uint64_t{get.count} * kPageBytes) {
    return Err(refuse(reason, Error::kBadFormat, "run outside user space"));
  }
  return get;
}

Result<uint64_t> decode_drop(std::span<const uint8_t> body, const char** reason) {
  if (body.size() < kDropBodyBytes) return Err(refuse(reason, Error::kTruncated, "drop cut short"));
  if (body.size() > kDropBodyBytes) return Err(refuse(reason, Error::kBadFormat, "drop too long"));
  LittleEndianReader reader(body);
  uint64_t pid = reader.u64();
  if (pid == 0) return Err(refuse(reason, Error::kBadFormat, "PID 0"));
  return pid;
}

Result<ReplyHeader> decode_reply_header(std::span<const uint8_t> in, Op expected,
                                        const char** reason) {
  if (in.size() < kReplyHeaderBytes) {
    return Err(refuse(reason, Error::kTruncated, "reply header cut short"));
  }
  if (in.size() > kReplyHeaderBytes) {
    return Err(refuse(reason, Error::kBadFormat, "reply header too long"));
  }
  LittleEndianReader reader(in);
  uint32_t magic = reader.u32();
  uint16_t version = reader.u16();
  uint16_t op = reader.u16();
  ReplyHeader header{Op(op), Error(int32_t(reader.u32())), reader.u32(), reader.u32(), {}};
  uint32_t reserved = reader.u32();
  reader.bytes(header.reason, kReasonBytes);
  header.reason[kReasonBytes - 1] = '\0';
  if (magic != kReplyMagic) return Err(refuse(reason, Error::kBadFormat, "bad reply magic"));
  if (version != kWireVersion) return Err(refuse(reason, Error::kBadFormat, "unknown version"));
  if (op != uint16_t(expected)) {
    return Err(refuse(reason, Error::kBadFormat, "reply to another operation"));
  }
  if (reserved != 0) return Err(refuse(reason, Error::kBadFormat, "reserved field set"));
  bool fits = header.error == Error::kOk ? reply_body_fits(header.op, header.body_bytes)
                                         : header.body_bytes == 0;
  if (!fits) return Err(refuse(reason, Error::kBadFormat, "reply body size impossible"));
  return header;
}

Result<PutReply> decode_put_reply(std::span<const uint8_t> body, const char** reason) {
  if (body.size() != kPutReplyBytes) {
    return Err(refuse(reason, Error::kBadFormat, "put reply of the wrong size"));
  }
  LittleEndianReader reader(body);
  PutReply reply{reader.u32(), reader.u32()};
  if (reply.added > reply.stored || reply.stored > kMaxPagesPerRequest) {
    return Err(refuse(reason, Error::kBadFormat, "impossible put counts"));
  }
  return reply;
}

Result<GetReply> decode_get_reply(std::span<const uint8_t> body, uint32_t requested,
                                  const char** reason) {
  if (body.size() < kGetReplyPrefixBytes) {
    return Err(refuse(reason, Error::kTruncated, "get reply cut short"));
  }
  LittleEndianReader reader(body.first(kGetReplyPrefixBytes));
  GetReply reply{reader.u32(), 0, {}};
  uint32_t reserved = reader.u32();
  reply.present = reader.u64();
  if (reply.count != requested || requested == 0 || requested > kMaxPagesPerRequest) {
    return Err(refuse(reason, Error::kBadFormat, "get reply for another run"));
  }
  if (reserved != 0) return Err(refuse(reason, Error::kBadFormat, "reserved field set"));
  if (requested < 64 && (reply.present >> requested) != 0) {
    return Err(refuse(reason, Error::kBadFormat, "page beyond the run marked present"));
  }
  if (body.size() != kGetReplyPrefixBytes + size_t(popcount(reply.present)) * kPageBytes) {
    return Err(refuse(reason, Error::kBadFormat, "get reply size does not match its pages"));
  }
  reply.pages = body.subspan(kGetReplyPrefixBytes);
  return reply;
}

Result<uint64_t> decode_drop_reply(std::span<const uint8_t> body, const char** reason) {
  if (body.size() != kDropReplyBytes) {
    return Err(refuse(reason, Error::kBadFormat, "drop reply of the wrong size"));
  }
  LittleEndianReader reader(body);
  return reader.u64();
}

Result<StoreStats> decode_stats_reply(std::span<const uint8_t> body, const char** reason) {
  if (body.size() != kStatsReplyBytes) {
    return Err(refuse(reason, Error::kBadFormat, "stats reply of the wrong size"));
  }
  LittleEndianReader reader(body);
  StoreStats stats{};
  for (uint64_t* field :
       {&stats.memory_pages, &stats.disk_pages, &stats.bytes, &stats.memory_capacity,
        &stats.disk_capacity, &stats.spilled, &stats.refused, &stats.pids}) {
    *field = reader.u64();
  }
  if (stats.bytes != (stats.memory_pages + stats.disk_pages) * kPageBytes ||
      stats.memory_pages > stats.memory_capacity || stats.disk_pages > stats.disk_capacity) {
    return Err(refuse(reason, Error::kBadFormat, "inconsistent stats"));
  }
  return stats;
}

}  // namespace atoll_os::servers::pagestore
