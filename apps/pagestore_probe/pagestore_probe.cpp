// pagestore_probe: drives the page store from another node, for the system tests and
// `bench pagestore`. Every result is one line "pagestore_probe: MODE key=value ...".
//
//   pagestore_probe fill IP PID PAGES     puts PAGES patterned pages of PID (batches of 64)
//                                         until done or refused; prints stored= and, if
//                                         refused, error= reason=
//   pagestore_probe check IP PID PAGES    gets them back in runs of 64; prints held=
//                                         missing= bad= (a page that differs from its pattern)
//   pagestore_probe drop IP PID           prints dropped=
//   pagestore_probe stats IP              prints the store's counters
//   pagestore_probe bench IP PID BYTES    fill, check and drop, each timed (mib_per_s=)
//   pagestore_probe garbage IP            sends malformed requests; prints what the store
//                                         answered to each, then asks for stats again
#include <stdint.h>

#include "../../servers/lib/pagestore_client.h"
#include "atoll/protocols/net_client.h"
#include "atoll/user/clock.h"
#include "atoll/user/parse.h"
#include "atoll/user/print.h"

namespace atoll_os::apps {
namespace {

namespace net = protocols::net;
namespace ps = servers::pagestore;
using user::print;

constexpr uint64_t kBase = 0x0000'0000'4000'0000;  // where the probe's pages claim to live
constexpr uint64_t kWordsPerPage = ps::kPageBytes / 8;

uint8_t g_buffer[ps::kFullBatchClientBuffer];
uint64_t g_pages[ps::kMaxPagesPerRequest * kWordsPerPage];  // one run of pages

uint64_t pattern(uint64_t pid, uint64_t vaddr, uint64_t word) {
  return (pid * 0x9e3779b97f4a7c15ull) ^ (vaddr << 7) ^ (word * 0xbf58476d1ce4e5b9ull) ^ 0x5a;
}

void fill_page(uint64_t* words, uint64_t pid, uint64_t vaddr) {
  for (uint64_t j = 0; j < kWordsPerPage; ++j) words[j] = pattern(pid, vaddr, j);
}

bool page_matches(const uint64_t* words, uint64_t pid, uint64_t vaddr) {
  for (uint64_t j = 0; j < kWordsPerPage; ++j) {
    if (words[j] != pattern(pid, vaddr, j)) return false;
  }
  return true;
}

void print_rate(uint64_t bytes, uint64_t ns) {
  uint64_t centi = ns == 0 ? 0 : bytes * 100 / (1 << 20) * 1'000'000'000 / ns;
  print(" ns=%lu mib_per_s=%lu.%02lu", ns, centi / 100, centi % 100);
}

int fail(const char* mode, Error error, const char* reason) {
  print("pagestore_probe: %s error=%s reason=\"%s\"\n", mode, error_name(error), reason);
  return 1;
}

// Puts `pages` pages; returns 0 if all were stored, 2 if the store refused (clean), 1 else.
int fill(ps::PageStoreClient& client, uint64_t pid, uint64_t pages, bool timed) {
  const uint64_t start = user::now_ns();
  uint64_t stored = 0;
  ps::PageRef refs[ps::kMaxPagesPerRequest];
  while (stored < pages) {
    uint64_t n =
        pages - stored < ps::kMaxPagesPerRequest ? pages - stored : ps::kMaxPagesPerRequest;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t vaddr = kBase + (stored + i) * ps::kPageBytes;
      fill_page(g_pages + i * kWordsPerPage, pid, vaddr);
      refs[i] = {vaddr, reinterpret_cast<const uint8_t*>(g_pages + i * kWordsPerPage)};
    }
    Result<ps::PutReply> put = client.put(pid, {refs, n});
    if (!put.ok()) {
      print("pagestore_probe: fill stored=%lu refused error=%s reason=\"%s\"\n", stored,
            error_name(put.error()), client.reason());
      return put.error() == Error::kOutOfMemory ? 2 : 1;
    }
    stored += put->stored;
  }
  print("pagestore_probe: fill stored=%lu", stored);
  if (timed) print_rate(stored * ps::kPageBytes, user::now_ns() - start);
  print("\n");
  return 0;
}

int check(ps::PageStoreClient& client, uint64_t pid, uint64_t pages, bool timed) {
  const uint64_t start = user::now_ns();
  uint64_t held = 0, missing = 0, bad = 0;
  for (uint64_t done = 0; done < pages;) {
    uint32_t n =
        uint32_t(pages - done < ps::kMaxPagesPerRequest ? pages - done : ps::kMaxPagesPerRequest);
    uint64_t vaddr = kBase + done * ps::kPageBytes;
    Result<uint64_t> present = client.get_run(pid, vaddr, n, reinterpret_cast<uint8_t*>(g_pages));
    if (!present.ok()) return fail("check", present.error(), client.reason());
    for (uint32_t i = 0; i < n; ++i) {
      if ((*present & (uint64_t{1} << i)) == 0) {
        ++missing;
      } else if (page_matches(g_pages + i * kWordsPerPage, pid, vaddr + i * ps::kPageBytes)) {
        ++held;
      } else {
        ++bad;
      }
    }
    done += n;
  }
  print("pagestore_probe: check held=%lu missing=%lu bad=%lu", held, missing, bad);
  if (timed) print_rate(held * ps::kPageBytes, user::now_ns() - start);
  print("\n");
  return bad == 0 ? 0 : 1;
}

int drop(ps::PageStoreClient& client, uint64_t pid) {
  Result<uint64_t> dropped = client.drop(pid);
  if (!dropped.ok()) return fail("drop", dropped.error(), client.reason());
  print("pagestore_probe: drop dropped=%lu\n", *dropped);
  return 0;
}

int stats(ps::PageStoreClient& client) {
  Result<ps::StoreStats> s = client.stats();
  if (!s.ok()) return fail("stats", s.error(), client.reason());
  print(
      "pagestore_probe: stats memory_pages=%lu disk_pages=%lu bytes=%lu memory_capacity=%lu "
      "disk_capacity=%lu spilled=%lu refused=%lu pids=%lu\n",
      s->memory_pages, s->disk_pages, s->bytes, s->memory_capacity, s->disk_capacity, s->spilled,
      s->refused, s->pids);
  return 0;
}

// One malformed request on a fresh connection: the store's answer (error and reason), and
// whether it then closed the connection (closed=1) as it must after a bad header.
void send_garbage(net::Client& net, uint32_t ip, const char* name, const uint8_t* bytes,
                  size_t length) {
  Result<net::Stream*> stream = net::Stream::connect(net, ip, ps::kPageStorePort);
  if (!stream.ok() || !(*stream)->wait_connected(ps::kClientStallNs).ok()) {
    print("pagestore_probe: garbage %s connect failed\n", name);
    return;
  }
  (void)(*stream)->write(bytes, length, ps::kClientStallNs);
  uint8_t reply[ps::kReplyHeaderBytes];
  size_t got = 0;
  while (got < sizeof(reply)) {
    Result<size_t> n = (*stream)->read(reply + got, sizeof(reply) - got, ps::kClientStallNs);
    if (!n.ok() || *n == 0) break;
    got += *n;
  }
  uint8_t extra = 0;
  Result<size_t> after = (*stream)->read(&extra, 1, ps::kClientStallNs);
  bool closed = after.ok() && *after == 0;
  uint32_t error = got == sizeof(reply) ? uint32_t(reply[8]) | uint32_t(reply[9]) << 8 : 0;
  reply[sizeof(reply) - 1] = 0;
  print("pagestore_probe: garbage %s replied=%d error=%s closed=%d reason=\"%s\"\n", name,
        got == sizeof(reply), error_name(Error(error)), closed,
        got == sizeof(reply) ? reinterpret_cast<const char*>(reply + 24) : "");
  (void)(*stream)->close(0);
}

int garbage(net::Client& net, uint32_t ip, ps::PageStoreClient& client) {
  // The client waits for a store that is still starting; the raw connections below do not.
  Result<ps::StoreStats> up = client.stats();
  if (!up.ok()) return fail("garbage", up.error(), client.reason());
  uint8_t request[ps::kRequestHeaderBytes + ps::kGetBodyBytes] = {};
  (void)ps::encode_stats(request, 1);
  request[0] ^= 0xff;
  send_garbage(net, ip, "bad-magic", request, ps::kRequestHeaderBytes);
  (void)ps::encode_request_header(request, ps::Op(9), 0, 2);
  send_garbage(net, ip, "unknown-op", request, ps::kRequestHeaderBytes);
  (void)ps::encode_request_header(request, ps::Op::kPut, 0x7fffffff, 3);
  send_garbage(net, ip, "huge-put", request, ps::kRequestHeaderBytes);
  // A header that decodes and a body that does not: an error reply, and the connection lives.
  (void)ps::encode_get(request, 4, {1, 0x1001, 1});
  send_garbage(net, ip, "unaligned-get", request, sizeof(request));
  return stats(client);
}

uint64_t number(const char* text) {
  return text == nullptr ? 0 : user::parse_size(text).value_or(0);
}

int run(int argc, char** argv) {
  if (argc < 3) return fail("usage", Error::kInvalidArgument, "see pagestore_probe.cpp");
  Result<net::Client> found = net::find_net_server();
  if (!found.ok()) return fail("net", found.error(), "no net server");
  static net::Client net_client;
  net_client = *found;
  Result<uint32_t> ip = net::parse_ipv4(argv[2]);
  if (!ip.ok()) return fail(argv[1], Error::kInvalidArgument, "needs the store's IPv4 address");
  ps::PageStoreClient client(net_client, *ip, g_buffer);
  auto same = [&](const char* mode) { return __builtin_strcmp(argv[1], mode) == 0; };
  uint64_t pid = argc > 3 ? number(argv[3]) : 0;
  uint64_t pages = argc > 4 ? number(argv[4]) : 0;
  if (same("stats")) return stats(client);
  if (same("garbage")) return garbage(net_client, *ip, client);
  if (same("drop") && argc > 3) return drop(client, pid);
  if (same("fill") && argc > 4) return fill(client, pid, pages, false);
  if (same("check") && argc > 4) return check(client, pid, pages, false);
  if (same("bench") && argc > 4) {
    pages = pages / ps::kPageBytes;  // BYTES
    int filled = fill(client, pid, pages, true);
    if (filled != 0) return filled;
    int checked = check(client, pid, pages, true);
    int dropped = drop(client, pid);
    return checked != 0 ? checked : dropped;
  }
  return fail("usage", Error::kInvalidArgument, "unknown mode or missing arguments");
}

}  // namespace
}  // namespace atoll_os::apps

int main(int argc, char** argv) {
  return atoll_os::apps::run(argc, argv);
}
