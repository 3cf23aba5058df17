// Invariants of the page store's decoders and request path over arbitrary bytes.
#include "pagestore_wire_fuzz_entry.h"

#include <cstring>
#include <vector>

#include "lib/pagestore_wire.h"
#include "pagestore/page_store.h"
#include "pagestore/request_handler.h"

namespace atoll_os::servers::pagestore {
namespace {

void require(bool holds) {
  if (!holds) __builtin_trap();
}

/// Four pages in memory and four on a disk in host memory: small enough that fuzzed puts
/// reach the bound and the disk.
class SmallStore final : public PageDisk {
 public:
  SmallStore()
      : pages_(4 * kPageBytes), memory_free_(4), disk_free_(4), index_(index_slots_for(4, 4)) {
    require(store.init({pages_, memory_free_, disk_free_, index_}, this).ok());
  }
  uint32_t blocks() const override { return 4; }
  Result<void> write_page(uint32_t block, const uint8_t* page) override {
    require(block < 4);
    std::memcpy(disk_ + size_t{block} * kPageBytes, page, kPageBytes);
    return success();
  }
  Result<void> read_page(uint32_t block, uint8_t* page) override {
    require(block < 4);
    std::memcpy(page, disk_ + size_t{block} * kPageBytes, kPageBytes);
    return success();
  }
  PageStore store;

 private:
  std::vector<uint8_t> pages_;
  std::vector<uint32_t> memory_free_;
  std::vector<uint32_t> disk_free_;
  std::vector<StoreSlot> index_;
  uint8_t disk_[4 * kPageBytes] = {};
};

void check_request_path(std::span<const uint8_t> in) {
  const char* reason = nullptr;
  Result<RequestHeader> header = decode_request_header(in.first(kRequestHeaderBytes), &reason);
  if (!header.ok()) {
    require(reason != nullptr);
    return;
  }
  std::span<const uint8_t> body = in.subspan(kRequestHeaderBytes);
  if (body.size() > header->body_bytes) body = body.first(header->body_bytes);
  static SmallStore small;
  static std::vector<uint8_t> reply(kReplyBufferBytes);
  size_t n = answer_request(small.store, *header, body, reply);
  require(n >= kReplyHeaderBytes && n <= reply.size());
  Result<ReplyHeader> answer =
      decode_reply_header({reply.data(), kReplyHeaderBytes}, header->op, &reason);
  require(answer.ok());  // every reply the server writes is one its clients accept
  require(n == kReplyHeaderBytes + answer->body_bytes);
  StoreStats stats = small.store.stats();
  require(stats.memory_pages <= 4 && stats.disk_pages <= 4);
}

}  // namespace

void fuzz_pagestore_input(const uint8_t* data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);  // exact size: a read past it shows under ASan
  std::span<const uint8_t> in(copy);
  const char* reason = nullptr;
  if (Result<PutRequest> put = decode_put(in, &reason); put.ok()) {
    require(in.size() == put_body_bytes(put->count) && put->count <= kMaxPagesPerRequest);
  }
  if (Result<GetRequest> get = decode_get(in, &reason); get.ok()) {
    require(get->count >= 1 && get->count <= kMaxPagesPerRequest);
  }
  (void)decode_drop(in, &reason);
  for (uint32_t requested = 1; requested <= 2; ++requested) {
    if (Result<GetReply> reply = decode_get_reply(in, requested, &reason); reply.ok()) {
      for (uint32_t i = 0; i < requested; ++i) {
        if (const uint8_t* page = reply->page(i))
          require(page + kPageBytes <= in.data() + in.size());
      }
    }
  }
  (void)decode_stats_reply(in, &reason);
  (void)decode_put_reply(in, &reason);
  if (size >= kReplyHeaderBytes)
    (void)decode_reply_header(in.first(kReplyHeaderBytes), Op::kGet, &reason);
  if (size >= kRequestHeaderBytes) check_request_path(in);
}

}  // namespace atoll_os::servers::pagestore
