// Page-store requests: decode, call the store, encode.
#include "request_handler.h"

#include "../lib/little_endian.h"

namespace atoll_os::servers::pagestore {
namespace {

size_t error_reply(Op op, uint32_t sequence, Error error, const char* reason,
                   std::span<uint8_t> reply) {
  return encode_reply_header(reply, op, error, 0, sequence, reason).value_or(0);
}

// The header, written once the body's length is known; the body starts at kReplyHeaderBytes.
size_t finish(Op op, uint32_t sequence, size_t body, std::span<uint8_t> reply) {
  (void)encode_reply_header(reply, op, Error::kOk, uint32_t(body), sequence, "");
  return kReplyHeaderBytes + body;
}

size_t answer_put(PageStore& store, const RequestHeader& header, std::span<const uint8_t> body,
                  std::span<uint8_t> reply) {
  const char* reason = "";
  Result<PutRequest> put = decode_put(body, &reason);
  if (!put.ok()) return error_reply(header.op, header.sequence, put.error(), reason, reply);
  Result<PutReply> stored = store.put(*put, &reason);
  if (!stored.ok()) return error_reply(header.op, header.sequence, stored.error(), reason, reply);
  size_t n = encode_put_reply(reply.subspan(kReplyHeaderBytes), *stored).value_or(0);
  return finish(header.op, header.sequence, n, reply);
}

size_t answer_get(PageStore& store, const RequestHeader& header, std::span<const uint8_t> body,
                  std::span<uint8_t> reply) {
  const char* reason = "";
  Result<GetRequest> get = decode_get(body, &reason);
  if (!get.ok()) return error_reply(header.op, header.sequence, get.error(), reason, reply);
  uint8_t* pages = reply.data() + kReplyHeaderBytes + kGetReplyPrefixBytes;
  Result<uint64_t> present = store.get(*get, pages, &reason);
  if (!present.ok()) {
    return error_reply(header.op, header.sequence, present.error(), reason, reply);
  }
  size_t n =
      encode_get_reply_prefix(reply.subspan(kReplyHeaderBytes), get->count, *present).value_or(0);
  n += size_t(__builtin_popcountll(*present)) * kPageBytes;
  return finish(header.op, header.sequence, n, reply);
}

size_t answer_drop(PageStore& store, const RequestHeader& header, std::span<const uint8_t> body,
                   std::span<uint8_t> reply) {
  const char* reason = "";
  Result<uint64_t> pid = decode_drop(body, &reason);
  if (!pid.ok()) return error_reply(header.op, header.sequence, pid.error(), reason, reply);
  size_t n = encode_drop_reply(reply.subspan(kReplyHeaderBytes), store.drop(*pid)).value_or(0);
  return finish(header.op, header.sequence, n, reply);
}

}  // namespace

size_t answer_request(PageStore& store, const RequestHeader& header, std::span<const uint8_t> body,
                      std::span<uint8_t> reply) {
  if (reply.size() < kReplyBufferBytes) return 0;
  if (body.size() != header.body_bytes) {
    return error_reply(header.op, header.sequence, Error::kBadFormat,
                       "body length differs from the header", reply);
  }
  switch (header.op) {
    case Op::kPut: return answer_put(store, header, body, reply);
    case Op::kGet: return answer_get(store, header, body, reply);
    case Op::kDrop: return answer_drop(store, header, body, reply);
    case Op::kStats: {
      size_t n = encode_stats_reply(reply.subspan(kReplyHeaderBytes), store.stats()).value_or(0);
      return finish(header.op, header.sequence, n, reply);
    }
  }
  return error_reply(header.op, header.sequence, Error::kBadFormat, "unknown operation", reply);
}

size_t answer_bad_header(std::span<const uint8_t> header, Error error, const char* reason,
                         std::span<uint8_t> reply) {
  LittleEndianReader reader(header);
  (void)reader.u32();  // magic
  (void)reader.u16();  // version
  uint16_t op = reader.u16();
  (void)reader.u32();  // body length
  uint32_t sequence = reader.u32();
  return error_reply(Op(op), sequence, error, reason, reply);
}

}  // namespace atoll_os::servers::pagestore
