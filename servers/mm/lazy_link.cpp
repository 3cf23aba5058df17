// The page links of lazy and postcopy migrations (page_fetch.h): on the source, the page
// servers that hand a migrated process's kept pages to the destination's mm; on the
// destination, the remote faults of pager threads and mm's lazy thread, which connects the
// links, streams postcopy's pages in the background and tells the source when it may free
// everything. Only the lazy thread and the page servers, which run below mm's main loop,
// allocate (connect, close); the pager threads only read and write an open link.
// flush and eager-dirty use the same slots with the page store as the peer: the pages come
// from the store (get_run), and the end of the dependency drops them there.
#include "../lib/pagestore_client.h"
#include "../lib/slice_channel.h"
#include "atoll/user/clock.h"
#include "atoll/user/print.h"
#include "atoll/user/thread.h"
#include "migration.h"
#include "page_fetch.h"

namespace atoll_os::servers::mm {
namespace {

namespace net = protocols::net;
using protocols::mm::ResidualState;

constexpr uint64_t kMillisecond = 1'000'000;
constexpr uint64_t kLinkTimeoutNs = 5'000 * kMillisecond;  // a source that says nothing
constexpr uint64_t kServeIdleNs = 600'000 * kMillisecond;  // a destination that says nothing
constexpr uint64_t kConnectWaitNs = 8'000 * kMillisecond;  // a pager waiting for the link
constexpr uint64_t kPushPauseNs = 1 * kMillisecond;        // between background batches
constexpr size_t kThreadStack = 32 * 1024;
constexpr uint32_t kLinkPriority = 12;  // below the servers, as the slice threads

struct Shared {
  MemoryService* service;
  MemoryKernel* kernel;
  SpaceLock* lock;
  abi::Handle wakeup;  // the lazy thread's
};
Shared g;

uint64_t clock_ns() {
  return user::now_ns();
}

Result<void> read_full(net::Stream& stream, void* out, size_t length, uint64_t timeout_ns) {
  auto* bytes = static_cast<uint8_t*>(out);
  for (size_t got = 0; got < length;) {
    size_t n = TRY(stream.read(bytes + got, length - got, timeout_ns));
    if (n == 0) return Err(Error::kTruncated);
    got += n;
  }
  return success();
}

// ---- Destination: one link per lazy slot.

struct Link {
  SpaceLock* lock = nullptr;      // held for each exchange
  net::Stream* stream = nullptr;  // open once the lazy thread connected it
  uint64_t migration_id = 0;      // whose link it is
  bool failed = false;            // connecting failed: the source is gone
  const char* why = "";
  // flush, eager-dirty: the page store instead of the source (stream unused), connected
  // by the lazy thread as a stream is
  pagestore::PageStoreClient* store = nullptr;
};
Link g_links[kMaxLazySpaces];
uint8_t g_store_buffers[kMaxLazySpaces][pagestore::kMinClientBuffer];
// Remote faults waiting for each link: the background stream yields to them.
uint32_t g_demand[kMaxLazySpaces];

// A snapshot of a lazy slot, taken under the space lock.
struct SlotView {
  bool used;
  bool ending;
  bool broken;
  bool push;   // and pushing: postcopy's background stream runs
  bool store;  // the pages are in the page store at source_ip
  uint64_t pid;
  uint64_t migration_id;
  uint32_t source_ip;
  uint64_t left;
  uint64_t cursor;
};

SlotView view(size_t slot) {
  SpaceGuard guard(*g.lock);
  const LazySpace& s = g.service->lazy().slot(slot);
  return {s.used, s.ending,       s.broken,    s.push && s.pushing, s.store,
          s.pid,  s.migration_id, s.source_ip, s.map.left(),        s.cursor};
}

void mark_broken(size_t slot, uint64_t migration_id, const char* why) {
  SpaceGuard guard(*g.lock);
  LazySpace& s = g.service->lazy().slot(slot);
  if (s.used && s.migration_id == migration_id && !s.broken) {
    s.broken = true;
    user::print(
        "mm: pid %#lx: its pages at the source cannot be had (%s): it dies on its next "
        "touch of one\n",
        s.pid, why);
  }
}

// Maps the pages of `reply` (in `window`) into the slot's task, if it misses them all.
Error install_pages(size_t slot, const SlotView& v, const FetchReply& reply, SliceWindow window,
                    const char** why) {
  SpaceGuard guard(*g.lock);
  LazySpace& s = g.service->lazy().slot(slot);
  uint32_t flags = 0;
  *why = "pages the destination does not miss";
  if (!s.used || s.migration_id != v.migration_id ||
      s.map.missing_from(reply.start, reply.pages) != reply.pages ||
      !s.map.missing(reply.start, &flags)) {
    return Error::kBadFormat;
  }
  *why = "cannot map the pages";
  Result<void> mapped = g.kernel->install(window, s.task, reply.start, reply.pages, flags);
  if (!mapped.ok()) return mapped.error();
  s.map.arrive(reply.start, reply.pages);
  s.cursor = reply.start + uint64_t{reply.pages} * kSlicePageBytes;
  g.service->note_arrived(s.pid, reply.pages);
  if (s.map.left() == 0) (void)user::notification_signal(g.wakeup, 1);  // tell the source
  return Error::kOk;
}

// One request and its reply over an open link; the pages land in the slot's window and are
// installed and counted. Holds the link lock (the caller's). The pages installed, or why not.
Result<uint32_t> exchange(size_t slot, const SlotView& v, const FetchRequest& request,
                          const char** why) {
  Link& link = g_links[slot];
  *why = "the page link is not open";
  if (link.stream == nullptr || link.migration_id != v.migration_id) return Err(Error::kNotFound);
  *why = "the source does not answer";
  TRY(link.stream->write(&request, sizeof(request), kLinkTimeoutNs));
  FetchReply reply;
  TRY(read_full(*link.stream, &reply, sizeof(reply), kLinkTimeoutNs));
  SliceError refusal{Error::kOk, ""};
  if (Result<void> checked = check_reply(reply, request, &refusal); !checked.ok()) {
    *why = refusal.reason;
    return Err(checked.error());
  }
  const SliceWindow window = window_at(SliceWindow::kFetch0, static_cast<uint32_t>(slot));
  *why = "no frames for the pages";
  uint8_t* bytes = TRY(g.kernel->stage(window, reply.pages));
  Result<void> read = read_full(*link.stream, bytes, reply.pages * kSlicePageBytes, kLinkTimeoutNs);
  if (!read.ok()) {
    g.kernel->release(window, reply.pages);
    *why = "the source does not answer";
    return Err(read.error());
  }
  Error error = install_pages(slot, v, reply, window, why);
  g.kernel->release(window, reply.pages);
  if (error != Error::kOk) return Err(error);
  return reply.pages;
}

// flush, eager-dirty: the `count` pages from `page` out of the page store, installed. Holds
// the link lock (the caller's). A page the store does not hold is an error, never zeros.
Result<uint32_t> store_exchange(size_t slot, const SlotView& v, uint64_t page, uint32_t count,
                                const char** why) {
  Link& link = g_links[slot];
  *why = "the page store link is not open";
  if (link.store == nullptr || link.migration_id != v.migration_id) return Err(Error::kNotFound);
  const SliceWindow window = window_at(SliceWindow::kFetch0, static_cast<uint32_t>(slot));
  *why = "no frames for the pages";
  uint8_t* bytes = TRY(g.kernel->stage(window, count));
  Result<uint64_t> held = link.store->get_run(v.pid, page, count, bytes);
  const uint64_t all = count == 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1;
  Error error = Error::kOk;
  if (!held.ok()) {
    *why = "the page store does not answer";
    error = held.error();
  } else if (*held != all) {
    *why = "the page store lost pages of it";
    error = Error::kNotFound;
  } else {
    FetchReply reply = fetch_reply(FetchKind::kFetch, Error::kOk, page, count);
    error = install_pages(slot, v, reply, window, why);
  }
  g.kernel->release(window, count);
  if (error != Error::kOk) return Err(error);
  return count;
}

// Whether the slot's link (to the source, or to the store) is open for this migration.
bool link_open(const Link& link, const SlotView& v) {
  return link.migration_id == v.migration_id && (link.stream != nullptr || link.store != nullptr);
}

// One fetch over the slot's open link: from the source or from the store.
Result<uint32_t> fetch_run(size_t slot, const SlotView& v, FetchKind kind, uint64_t page,
                           uint32_t count, const char** why) {
  if (v.store) return store_exchange(slot, v, page, count, why);
  return exchange(slot, v, fetch_request(kind, v.migration_id, v.pid, page, count), why);
}

class LinkGuard {
 public:
  explicit LinkGuard(size_t slot) : lock_(*g_links[slot].lock) { lock_.lock(); }
  ~LinkGuard() { lock_.unlock(); }

 private:
  SpaceLock& lock_;
};

// Fetches the page of a remote fault: true once it is mapped.
bool fetch_page(size_t slot, uint64_t pid, uint64_t page, const char** why) {
  const uint64_t give_up = clock_ns() + kConnectWaitNs;
  for (;;) {
    SlotView v = view(slot);
    *why = "its page is at the source, which failed";
    if (!v.used || v.pid != pid || v.broken) return false;
    {
      __atomic_add_fetch(&g_demand[slot], 1, __ATOMIC_SEQ_CST);
      LinkGuard guard(slot);
      __atomic_sub_fetch(&g_demand[slot], 1, __ATOMIC_SEQ_CST);
      Link& link = g_links[slot];
      if (link.failed && link.migration_id == v.migration_id) {
        *why = link.why;
        return false;
      }
      if (link_open(link, v)) {
        uint32_t count;
        {
          SpaceGuard space(*g.lock);
          count = g.service->lazy().slot(slot).map.missing_from(page, kFetchMaxPages);
        }
        if (count == 0) return true;  // the background stream brought it meanwhile
        Result<uint32_t> got = fetch_run(slot, v, FetchKind::kFetch, page, count, why);
        if (got.ok()) return true;
        mark_broken(slot, v.migration_id, *why);
        return false;
      }
    }
    // Not connected yet: the lazy thread connects (it may allocate; a pager may not).
    (void)user::notification_signal(g.wakeup, 1);
    if (clock_ns() > give_up) {
      *why = "no page link to the source";
      return false;
    }
    (void)user::sleep_ms(2);
  }
}

// Closes the slot's link (stream or store client) and forgets it. The link lock is held.
void drop_link(Link& link) {
  if (link.stream != nullptr) (void)link.stream->close(0);
  delete link.store;  // closes its connection
  link = Link{link.lock, nullptr, 0, false, "", nullptr};
}

// flush, eager-dirty: opens the slot's client of the page store (a stats call connects it).
void connect_store(Link& link, const SlotView& v, size_t slot) {
  Result<net::Client*> client = migration::slice_net();
  if (client.ok()) {
    auto* store = new pagestore::PageStoreClient(**client, v.source_ip, g_store_buffers[slot]);
    if (store->stats().ok()) {
      link.store = store;
      return;
    }
    delete store;
  }
  link.why = "the page store cannot be reached";
  link.failed = true;
  mark_broken(slot, v.migration_id, link.why);
}

// The lazy thread's work on one slot: connect, push (postcopy), or end.
void connect_link(size_t slot, const SlotView& v) {
  LinkGuard guard(slot);
  Link& link = g_links[slot];
  if (link.migration_id == v.migration_id &&
      (link.stream != nullptr || link.store != nullptr || link.failed)) {
    return;
  }
  drop_link(link);  // an earlier migration's
  link.migration_id = v.migration_id;
  if (v.store) return connect_store(link, v, slot);
  Result<net::Client*> client = migration::slice_net();
  Result<net::Stream*> stream = client.ok()
                                    ? net::Stream::connect(**client, v.source_ip, kPageFetchPort)
                                    : Result<net::Stream*>(Err(client.error()));
  if (stream.ok() && (*stream)->wait_connected(kLinkTimeoutNs).ok()) {
    FetchRequest hello = fetch_request(FetchKind::kHello, v.migration_id, v.pid);
    FetchReply reply;
    SliceError refusal{Error::kOk, ""};
    if ((*stream)->write(&hello, sizeof(hello), kLinkTimeoutNs).ok() &&
        read_full(**stream, &reply, sizeof(reply), kLinkTimeoutNs).ok() &&
        check_reply(reply, hello, &refusal).ok()) {
      link.stream = *stream;
      return;
    }
    link.why = refusal.reason[0] != '\0' ? refusal.reason : "the source's mm did not answer";
  } else {
    link.why = "the source's mm cannot be reached";
  }
  if (stream.ok()) (void)(*stream)->close(0);
  link.failed = true;
  mark_broken(slot, v.migration_id, link.why);
}

// The source may free everything: every page arrived, or the process ended.
void end_link(size_t slot, const SlotView& v) {
  uint64_t faults = 0;
  uint64_t wait_ns = 0;
  {
    SpaceGuard guard(*g.lock);
    const LazySpace& s = g.service->lazy().slot(slot);
    faults = s.remote_faults;
    wait_ns = s.remote_fault_ns;
  }
  // The source must hear it even if nothing was fetched, and even if this side gave up on
  // the link (a page it could not map): unless connecting failed, it is told. A dead source
  // costs the lazy thread the link's timeouts, no more.
  connect_link(slot, v);
  {
    LinkGuard guard(slot);
    Link& link = g_links[slot];
    // flush, eager-dirty: this side drops the process's pages from the store (the source
    // owes nothing); a store that cannot be reached keeps them until it restarts.
    if (link.store != nullptr && link.migration_id == v.migration_id) {
      Result<uint64_t> dropped = link.store->drop(v.pid);
      user::print("mm: pid %#lx needs the page store no more: %lu pages dropped there%s%s\n", v.pid,
                  dropped.ok() ? *dropped : 0,
                  dropped.ok() ? "" : ", not: ", dropped.ok() ? "" : link.store->reason());
    }
    if (link.stream != nullptr && link.migration_id == v.migration_id) {
      FetchRequest done =
          fetch_request(FetchKind::kDone, v.migration_id, v.pid, 0, faults, wait_ns);
      FetchReply reply;
      if (link.stream->write(&done, sizeof(done), kLinkTimeoutNs).ok()) {
        (void)read_full(*link.stream, &reply, sizeof(reply), kLinkTimeoutNs);
      }
      (void)link.stream->close(kLinkTimeoutNs);
      link.stream = nullptr;
    }
    drop_link(link);
  }
  abi::Handle task;
  {
    SpaceGuard guard(*g.lock);
    task = g.service->lazy().close(slot);
  }
  g.kernel->close(task);
}

// Postcopy: one batch of the pages the source still has; false when it cannot go on.
bool push_batch(size_t slot, const SlotView& v) {
  if (__atomic_load_n(&g_demand[slot], __ATOMIC_SEQ_CST) != 0) return true;  // faults first
  LinkGuard guard(slot);
  const char* why = "";
  uint64_t page = v.cursor;
  uint32_t count = kFetchMaxPages;
  if (v.store) {
    // The store's pages: this side chooses them, the next missing run from the cursor.
    SpaceGuard space(*g.lock);
    if (!g.service->lazy().slot(slot).map.next_missing(v.cursor, kFetchMaxPages, page, count)) {
      return true;
    }
  }
  Result<uint32_t> got = fetch_run(slot, v, FetchKind::kPull, page, count, &why);
  if (got.ok()) return true;
  mark_broken(slot, v.migration_id, why);
  return false;
}

// Returns whether a postcopy slot has more to stream.
bool serve_slot(size_t slot) {
  SlotView v = view(slot);
  if (!v.used) return false;
  if (v.ending || (v.left == 0 && !v.broken)) {
    end_link(slot, v);
    return false;
  }
  // A broken slot stays until the process ends, so that its faults are refused (a page
  // that is not here must never be filled with zeros).
  if (v.broken) return false;
  connect_link(slot, v);
  return v.push && push_batch(slot, view(slot));
}

void lazy_thread(void*) {
  for (;;) {
    bool more = false;
    for (size_t slot = 0; slot < kMaxLazySpaces; ++slot) more |= serve_slot(slot);
    (void)user::notification_wait(g.wakeup, more ? kPushPauseNs : abi::kForever);
  }
}

// ---- Source: the page servers.

struct PageServer {
  abi::Handle wakeup = abi::kNoHandle;
  net::Stream* volatile stream = nullptr;  // given by the listener; nullptr: idle
  uint32_t index = 0;
};
PageServer g_servers[kPageServers];
// A reply and its pages in one write: written apart, the pages would wait for the reply's
// acknowledgement (Nagle).
struct alignas(4096) ReplyBuffer {
  uint8_t bytes[sizeof(FetchReply) + kFetchMaxPages * kSlicePageBytes];
};
ReplyBuffer g_reply_buffers[kPageServers];

Result<void> send_reply(PageServer& server, const FetchReply& reply, const uint8_t* pages) {
  uint8_t* out = g_reply_buffers[server.index].bytes;
  __builtin_memcpy(out, &reply, sizeof(reply));
  size_t length = sizeof(reply);
  if (pages != nullptr) {
    __builtin_memcpy(out + length, pages, reply.pages * kSlicePageBytes);
    length += reply.pages * kSlicePageBytes;
  }
  return server.stream->write(out, length, kLinkTimeoutNs);
}

// Serves a kFetch or kPull: the pages the holder still has, then lets them go.
Result<void> serve_pages(PageServer& server, const FetchRequest& request) {
  uint64_t start = request.address;
  uint32_t count = 0;
  abi::Handle holder = abi::kNoHandle;
  {
    SpaceGuard guard(*g.lock);
    Residual* r = g.service->residuals().find(request.migration_id);
    if (r != nullptr && r->state == ResidualState::kServing && r->pid == request.pid) {
      holder = r->holder;
      uint32_t max = static_cast<uint32_t>(request.count);
      if (request.kind == FetchKind::kFetch) {
        count = r->map.missing_from(start, max);
        ++r->remote_faults;  // the destination's own count replaces this at its last word
      } else if (!r->map.next_missing(start, max, start, count)) {
        count = 0;
      }
    }
  }
  if (count == 0) return send_reply(server, fetch_reply(request.kind, Error::kNotFound), nullptr);
  const SliceWindow window = window_at(SliceWindow::kServe0, server.index);
  Result<const uint8_t*> bytes = g.kernel->borrow(window, holder, start, count);
  if (!bytes.ok()) return send_reply(server, fetch_reply(request.kind, bytes.error()), nullptr);
  Result<void> sent =
      send_reply(server, fetch_reply(request.kind, Error::kOk, start, count), *bytes);
  g.kernel->release(window, count);
  TRY(sent);
  abi::Handle finished = abi::kNoHandle;
  {
    SpaceGuard guard(*g.lock);
    Residual* r = g.service->residuals().find(request.migration_id);
    if (r != nullptr && r->state == ResidualState::kServing && r->holder == holder) {
      r->map.arrive(start, count);
      r->served += count;
      g.kernel->unmap(holder, start, count);  // its frames go back now
      if (r->map.left() == 0) finished = g.service->residuals().finish(*r, clock_ns());
    }
  }
  if (finished != abi::kNoHandle) g.kernel->destroy_holder(finished);
  return success();
}

// The destination needs nothing more: the residual dependency ends.
Result<void> serve_done(PageServer& server, const FetchRequest& request) {
  abi::Handle finished = abi::kNoHandle;
  uint64_t left = 0;
  {
    SpaceGuard guard(*g.lock);
    Residual* r = g.service->residuals().find(request.migration_id);
    if (r != nullptr && r->pid == request.pid) {
      left = r->map.left();
      r->remote_faults = request.count;
      r->remote_fault_ns = request.wait_ns;
      finished = g.service->residuals().finish(*r, clock_ns());
    }
  }
  if (finished != abi::kNoHandle) {
    user::print("mm: pid %#lx no longer needs this node: its %lu pages left here are freed\n",
                request.pid, left);
    g.kernel->destroy_holder(finished);
  }
  return send_reply(server, fetch_reply(FetchKind::kDone, Error::kOk), nullptr);
}

// One connection: a hello naming a residual this node serves, then requests until kDone.
// The migration it served (0 if none).
uint64_t serve_connection(PageServer& server) {
  FetchRequest request;
  SliceError refusal{Error::kOk, ""};
  if (!read_full(*server.stream, &request, sizeof(request), kLinkTimeoutNs).ok()) return 0;
  Error answer = Error::kOk;
  if (!check_request(request, &refusal).ok() || request.kind != FetchKind::kHello) {
    answer = Error::kBadFormat;
  } else {
    SpaceGuard guard(*g.lock);
    Residual* r = g.service->residuals().find(request.migration_id);
    if (r == nullptr || r->pid != request.pid || r->state != ResidualState::kServing) {
      answer = Error::kNotFound;
    }
  }
  const uint64_t migration_id = request.migration_id;
  const uint64_t pid = request.pid;
  if (answer != Error::kOk) {
    user::print("mm: a page link for pid %#lx (migration %#lx) refused: %s\n", request.pid,
                request.migration_id,
                answer == Error::kBadFormat ? "malformed" : "no pages kept for it here");
  }
  if (answer != Error::kOk) {
    (void)send_reply(server, fetch_reply(FetchKind::kHello, answer), nullptr);
    return 0;
  }
  if (!send_reply(server, fetch_reply(FetchKind::kHello, answer), nullptr).ok()) {
    return migration_id;
  }
  for (;;) {
    if (!read_full(*server.stream, &request, sizeof(request), kServeIdleNs).ok()) {
      return migration_id;
    }
    Result<void> checked = check_request(request, &refusal);
    if (!checked.ok() || request.kind == FetchKind::kHello ||
        request.migration_id != migration_id || request.pid != pid) {
      (void)send_reply(server, fetch_reply(request.kind, Error::kBadFormat), nullptr);
      return migration_id;
    }
    if (request.kind == FetchKind::kDone) {
      (void)serve_done(server, request);
      return migration_id;
    }
    if (!serve_pages(server, request).ok()) return migration_id;
  }
}

void page_server_thread(void* argument) {
  PageServer& server = *static_cast<PageServer*>(argument);
  for (;;) {
    (void)user::notification_wait(server.wakeup, abi::kForever);
    if (server.stream == nullptr) continue;
    uint64_t migration_id = serve_connection(server);
    {
      SpaceGuard guard(*g.lock);  // no more word can come over this link
      Residual* r = g.service->residuals().find(migration_id);
      if (migration_id != 0 && r != nullptr) r->final = true;
    }
    (void)server.stream->close(kLinkTimeoutNs);
    __atomic_store_n(&server.stream, nullptr, __ATOMIC_RELEASE);
  }
}

void listener_thread(void*) {
  net::Client client;
  for (;;) {
    Result<net::Client> found = net::find_net_server();
    if (found.ok()) {
      client = *found;
      break;
    }
    (void)user::sleep_ms(200);
  }
  Result<net::Listener> listener = net::Listener::listen(client, kPageFetchPort, 4);
  if (!listener.ok()) {
    user::print("mm: cannot listen for page fetches: %s\n", error_name(listener.error()));
    return;
  }
  for (;;) {
    Result<net::Stream*> stream = listener->accept(abi::kForever);
    if (!stream.ok()) continue;
    PageServer* idle = nullptr;
    for (PageServer& server : g_servers) {
      if (__atomic_load_n(&server.stream, __ATOMIC_ACQUIRE) == nullptr) idle = &server;
    }
    if (idle == nullptr) {
      user::print("mm: every page server is busy: a page link is refused\n");
      (void)(*stream)->close(0);
      continue;
    }
    __atomic_store_n(&idle->stream, *stream, __ATOMIC_RELEASE);
    (void)user::notification_signal(idle->wakeup, 1);
  }
}

}  // namespace

Result<void> fetch_all_pages(uint64_t pid, const char** why) {
  size_t slot;
  {
    SpaceGuard guard(*g.lock);
    slot = g.service->lazy().find(pid);
  }
  if (slot == kMaxLazySpaces) return success();
  const uint64_t give_up = clock_ns() + kConnectWaitNs;
  for (;;) {
    SlotView v = view(slot);
    if (!v.used || v.pid != pid || v.ending) return success();
    *why = "its pages from the last migration cannot be fetched";
    if (v.broken) return Err(Error::kNotFound);
    if (v.left == 0 && !v.store) return success();
    if (v.left == 0) {
      // The store's pages of it must be dropped (by the lazy thread) before this move puts
      // new ones: wait for the slot to close.
      (void)user::notification_signal(g.wakeup, 1);
      *why = "the page store's pages of its last migration are not dropped yet";
      if (clock_ns() > give_up) return Err(Error::kTimedOut);
      (void)user::sleep_ms(2);
      continue;
    }
    connect_link(slot, v);
    if (!push_batch(slot, view(slot))) return Err(Error::kNotFound);
  }
}

FaultOutcome resolve_remote_fault(abi::Message& message, const FaultOutcome& pending) {
  const uint64_t started = clock_ns();
  const char* why = "";
  bool fetched = fetch_page(pending.lazy_slot, pending.pid, pending.address, &why);
  SpaceGuard guard(*g.lock);
  LazySpace& s = g.service->lazy().slot(pending.lazy_slot);
  if (s.used && s.pid == pending.pid) {
    ++s.remote_faults;
    s.remote_fault_ns += clock_ns() - started;
  }
  return g.service->finish_remote_fault(message, pending, fetched, why);
}

Result<void> start_lazy_threads(MemoryService& service, MemoryKernel& kernel, SpaceLock& lock,
                                abi::Handle lazy_wakeup) {
  g = {&service, &kernel, &lock, lazy_wakeup};
  service.set_clock(clock_ns);
  for (size_t i = 0; i < kMaxLazySpaces; ++i) {
    abi::Handle notification = TRY(user::notification_create());
    g_links[i].lock = new SpaceLock(notification);
  }
  TRY(user::spawn_thread(lazy_thread, nullptr, kThreadStack, kLinkPriority));
  for (uint32_t i = 0; i < kPageServers; ++i) {
    g_servers[i].index = i;
    g_servers[i].wakeup = TRY(user::notification_create());
    TRY(user::spawn_thread(page_server_thread, &g_servers[i], kThreadStack, kLinkPriority));
  }
  TRY(user::spawn_thread(listener_thread, nullptr, kThreadStack, kLinkPriority));
  return success();
}

}  // namespace atoll_os::servers::mm
