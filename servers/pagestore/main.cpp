// pagestore: keeps the pages of migrating processes (the flush and eager-dirty strategies)
// on the node chosen at cluster start, in memory up to a bound and beyond it on a virtio
// disk when the node has one; served over TCP port 7205 (docs/pagestore.md).
//
// Arguments: node=N and pagestore=S (from the kernel command line through the manifest's
// $node $pagestore): every node starts the server and all but node S exit at once, saying
// so. pagestore_pages=P sets the memory bound (default 16,384 pages, 64 MiB). irq=N with
// @ioports @dma @irq=N: the virtio-blk disk, if attached.
#include "../lib/pagestore_wire.h"
#include "../lib/start_arguments.h"
#include "atoll/protocols/net_client.h"
#include "atoll/protocols/pm.h"
#include "atoll/text.h"
#include "atoll/user/clock.h"
#include "atoll/user/heap.h"
#include "atoll/user/lock.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "atoll/user/thread.h"
#include "page_store.h"
#include "request_handler.h"
#include "store_disk.h"

namespace atoll_os::servers::pagestore {
namespace {

namespace net = protocols::net;

constexpr uint64_t kDefaultMemoryPages = 16384;
constexpr size_t kWorkers = 6;
constexpr size_t kWorkerStack = 64 * 1024;
constexpr uint64_t kNetRetryMs = 200;
/// A connection with no request for this long is closed (its client reconnects).
constexpr uint64_t kIdleConnectionNs = 120'000'000'000;
/// Within a request, no byte for this long ends the connection.
constexpr uint64_t kStallNs = 5'000'000'000;

struct Store {
  user::YieldingLock lock;  // guards `pages`; taken by the workers only
  PageStore pages;
};

/// A thread serving one connection at a time, handed to it by the accepting thread.
struct Worker {
  Store* store;
  abi::Handle wake;
  net::Stream* stream;
  bool busy;  // set by the acceptor, cleared by the worker when the connection is done
  uint8_t* request;
  uint8_t* reply;
};

Worker g_workers[kWorkers];

[[noreturn]] void give_up(const char* what, Error error) {
  user::print("pagestore: %s: %s\n", what, error_name(error));
  user::fatal("the page store cannot run");
}

uint64_t number_argument(int argc, char** argv, const char* key, uint64_t fallback) {
  std::string_view text = argument_value(argc, argv, key);
  if (text.empty()) return fallback;
  return text::parse_unsigned(text).value_or(fallback);
}

// Reads exactly `length` bytes; false if the peer closed, failed or stalled.
bool read_exact(net::Stream& stream, uint8_t* out, size_t length, uint64_t first_timeout_ns) {
  size_t got = 0;
  while (got < length) {
    Result<size_t> n = stream.read(out + got, length - got, got == 0 ? first_timeout_ns : kStallNs);
    if (!n.ok() || *n == 0) return false;
    got += *n;
  }
  return true;
}

// Serves requests on one connection until the client closes, idles or sends garbage.
void serve_connection(Worker& worker, net::Stream& stream) {
  std::span<uint8_t> reply(worker.reply, kReplyBufferBytes);
  for (;;) {
    uint8_t header_bytes[kRequestHeaderBytes];
    if (!read_exact(stream, header_bytes, sizeof(header_bytes), kIdleConnectionNs)) return;
    const char* reason = "";
    Result<RequestHeader> header = decode_request_header(header_bytes, &reason);
    if (!header.ok()) {
      user::print("pagestore: refused a request: %s\n", reason);
      size_t n = answer_bad_header(header_bytes, header.error(), reason, reply);
      (void)stream.write(reply.data(), n, kStallNs);
      return;
    }
    if (!read_exact(stream, worker.request, header->body_bytes, kStallNs)) return;
    size_t n = 0;
    {
      user::LockGuard guard(worker.store->lock);
      n = answer_request(worker.store->pages, *header, {worker.request, header->body_bytes}, reply);
    }
    if (!stream.write(reply.data(), n, kStallNs).ok()) return;
  }
}

void worker_thread(void* argument) {
  auto& worker = *static_cast<Worker*>(argument);
  for (;;) {
    (void)user::notification_wait(worker.wake);
    if (!__atomic_load_n(&worker.busy, __ATOMIC_ACQUIRE)) continue;
    serve_connection(worker, *worker.stream);
    (void)worker.stream->close(kStallNs);
    worker.stream = nullptr;
    __atomic_store_n(&worker.busy, false, __ATOMIC_RELEASE);
  }
}

void start_workers(Store& store) {
  for (Worker& worker : g_workers) {
    worker.store = &store;
    worker.wake = user::notification_create().value_or(abi::kNoHandle);
    worker.request = static_cast<uint8_t*>(malloc(kMaxRequestBody));
    worker.reply = static_cast<uint8_t*>(malloc(kReplyBufferBytes));
    if (worker.wake == abi::kNoHandle || worker.request == nullptr || worker.reply == nullptr) {
      give_up("worker buffers", Error::kOutOfMemory);
    }
    if (!user::spawn_thread(worker_thread, &worker, kWorkerStack).ok()) {
      give_up("worker thread", Error::kOutOfMemory);
    }
  }
}

// Hands `stream` to an idle worker; false (the stream is closed) when all are busy.
bool hand_over(net::Stream* stream) {
  for (Worker& worker : g_workers) {
    if (__atomic_load_n(&worker.busy, __ATOMIC_ACQUIRE)) continue;
    worker.stream = stream;
    __atomic_store_n(&worker.busy, true, __ATOMIC_RELEASE);
    (void)user::notification_signal(worker.wake, 1);
    return true;
  }
  (void)stream->close(0);
  return false;
}

void init_store(Store& store, uint64_t memory_pages, PageDisk* disk) {
  if (memory_pages == 0 || memory_pages > kMaxMemoryPages) {
    give_up("pagestore_pages out of range", Error::kOutOfRange);
  }
  uint32_t disk_pages = disk == nullptr ? 0 : disk->blocks();
  if (disk_pages > kMaxDiskPages) disk_pages = kMaxDiskPages;
  size_t slots = index_slots_for(uint32_t(memory_pages), disk_pages);
  StoreMemory memory;
  memory.pages = {static_cast<uint8_t*>(malloc(memory_pages * kPageBytes)),
                  memory_pages * kPageBytes};
  memory.memory_free = {static_cast<uint32_t*>(malloc(memory_pages * 4)), memory_pages};
  memory.disk_free = {static_cast<uint32_t*>(malloc(size_t{disk_pages} * 4 + 4)), disk_pages};
  memory.index = {static_cast<StoreSlot*>(malloc(slots * sizeof(StoreSlot))), slots};
  if (memory.pages.data() == nullptr || memory.memory_free.data() == nullptr ||
      memory.disk_free.data() == nullptr || memory.index.data() == nullptr) {
    give_up("store memory", Error::kOutOfMemory);
  }
  if (Result<void> r = store.pages.init(memory, disk); !r.ok()) give_up("store", r.error());
}

net::Listener listen_patiently() {
  for (;;) {
    Result<net::Client> found = net::find_net_server();
    if (found.ok()) {
      static net::Client client;
      client = *found;
      Result<net::Listener> listener = net::Listener::listen(client, kPageStorePort, 8);
      if (!listener.ok()) give_up("listen on TCP port 7205", listener.error());
      return *listener;
    }
    (void)user::sleep_ms(kNetRetryMs);
  }
}

}  // namespace
}  // namespace atoll_os::servers::pagestore

int main(int argc, char** argv) {
  using namespace atoll_os;
  using namespace atoll_os::servers::pagestore;
  const uint64_t node = user::process_start().node;
  const uint64_t store_node = number_argument(argc, argv, "pagestore", 0);
  if (store_node != node) {
    user::print("pagestore: the store runs on node %lu, not here\n", store_node);
    return 0;
  }
  // Listening first also waits for net, which registers once it is done with PCI
  // configuration space: mechanism #1 is two port accesses that two drivers must not
  // interleave, so the disk is looked for only afterwards. Early clients wait in the backlog.
  net::Listener listener = listen_patiently();
  static Store store;
  PageDisk* disk = open_store_disk(argc, argv);
  init_store(store, number_argument(argc, argv, "pagestore_pages", kDefaultMemoryPages), disk);
  start_workers(store);
  user::print("pagestore: node %lu serving on TCP port %u: %u pages in memory, %u on disk\n", node,
              kPageStorePort, store.pages.memory_capacity(), store.pages.disk_capacity());
  uint64_t turned_away = 0;
  for (;;) {
    Result<net::Stream*> stream = listener.accept(abi::kForever);
    if (!stream.ok()) continue;
    if (!hand_over(*stream)) {
      user::print("pagestore: every worker busy; connection %lu turned away\n", ++turned_away);
    }
  }
}
