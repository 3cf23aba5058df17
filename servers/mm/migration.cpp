// mm's migration threads over slice connections (servers/lib/slice_channel.h).
#include "migration.h"

#include "../lib/pagestore_client.h"
#include "../lib/slice_channel.h"
#include "atoll/user/clock.h"
#include "atoll/user/print.h"
#include "atoll/user/thread.h"
#include "page_map.h"
#include "slice_transfer.h"

namespace atoll_os::servers::mm {
namespace {

using migration::SliceChannel;
using migration::SliceKind;
using protocols::mm::SliceState;
using protocols::mm::SliceStatus;

constexpr size_t kSenderStack = 32 * 1024;
constexpr uint32_t kSenderPriority = 12;  // below the servers: it waits on net, never spins
constexpr size_t kSendRuns = 8192;        // 32 MiB of scattered single pages before a rescan
constexpr size_t kQueryPages = 32768;     // one vm_query covers 128 MiB
constexpr uint64_t kMaxDrainBytes = 1ull << 30;

struct Migration {
  MemoryService* service;
  MemoryKernel* kernel;
  SpaceLock* lock;
  abi::Handle sender_wakeup;
};

Migration g_migration;
// The threads' working memory, in the eagerly mapped bss (mm has no pager).
PageRun g_send_runs[kSendRuns];
uint64_t g_send_bitmap[kQueryPages / 64];
uint8_t g_drain[64 * 1024];
uint8_t g_gathered[8 * 1024];      // the sender's small pieces, sent together
PageMap g_keep_map;                // the sender's map of the pages a lazy send keeps
PageRun g_received_map[kMapRuns];  // the receiver's map of a lazy slice
uint64_t g_send_masks[kSendRuns];  // a store slice's pages in the store, per run
// eager-dirty: the pages the live save put in the store, for the frozen send of the same
// migration.
PageMap g_saved_map;
uint64_t g_saved_migration = 0;
uint8_t g_store_buffer[pagestore::kFullBatchClientBuffer];  // the sender's store client's

// The sender's connection as a SliceSink: the header first, then the body. It connects at
// begin(), once the slice's size is known: a flush first saves every page to the store,
// which takes longer (10 s for 256 MiB) than the destination waits for a header on an open
// connection. Small pieces (header, prologue, regions, run records) are gathered and go out
// with the next large one: written alone they would travel as small segments, and Nagle's
// algorithm holds each until the one before is acknowledged (a 2.4 s stall was measured on
// a fresh connection).
class ChannelSink final : public SliceSink {
 public:
  ChannelSink(protocols::net::Client& net, uint32_t destination_ip, uint64_t migration_id,
              uint64_t pid)
      : net_(net), destination_ip_(destination_ip), migration_id_(migration_id), pid_(pid) {}
  ChannelSink(const ChannelSink&) = delete;
  ChannelSink& operator=(const ChannelSink&) = delete;
  ~ChannelSink() { close(); }

  Result<void> begin(uint64_t body_bytes) override {
    Result<SliceChannel> channel =
        SliceChannel::connect(net_, destination_ip_, migration::kMemorySlicePort);
    if (!channel.ok()) {
      unreachable_ = true;
      return Err(channel.error());
    }
    channel_ = *channel;
    connected_ = true;
    migration::SliceHeader header =
        migration::slice_header(SliceKind::kMemory, migration_id_, pid_, body_bytes);
    return gather(&header, sizeof(header));
  }
  Result<void> write(const void* data, size_t length) override {
    if (length <= kGatherMax - gathered_) return gather(data, length);
    TRY(flush());
    return channel_.write(data, length);
  }
  /// Sends what is gathered; before waiting for the receiver's answer.
  Result<void> flush() {
    if (gathered_ == 0) return success();
    Result<void> written = channel_.write(g_gathered, gathered_);
    gathered_ = 0;
    return written;
  }
  Result<migration::SliceAck> read_ack() { return channel_.read_ack(); }
  void close() {
    if (connected_) channel_.close();
    connected_ = false;
  }
  /// True once begin() found nobody answering at the destination.
  bool unreachable() const { return unreachable_; }

 private:
  static constexpr size_t kGatherMax = sizeof(g_gathered);
  Result<void> gather(const void* data, size_t length) {
    if (length > kGatherMax - gathered_) TRY(flush());
    __builtin_memcpy(g_gathered + gathered_, data, length);
    gathered_ += length;
    return success();
  }

  protocols::net::Client& net_;
  uint32_t destination_ip_;
  uint64_t migration_id_;
  uint64_t pid_;
  SliceChannel channel_{nullptr};
  bool connected_ = false;
  bool unreachable_ = false;
  size_t gathered_ = 0;
};

// The receiver's connection as a SliceSource that counts what it took.
class ChannelSource final : public SliceSource {
 public:
  explicit ChannelSource(SliceChannel& channel) : channel_(channel) {}
  Result<void> read_exact(void* out, size_t length) override {
    TRY(channel_.read_exact(out, length));
    consumed_ += length;
    return success();
  }
  uint64_t consumed() const { return consumed_; }

 private:
  SliceChannel& channel_;
  uint64_t consumed_ = 0;
};

// A lazy send's keeper: shares each run of the frozen task into a holder task of mm's, so
// that the pages outlive the task (pm kills it at release) until the destination has them.
class HolderKeeper final : public MapKeeper {
 public:
  explicit HolderKeeper(abi::Handle task) : task_(task) { g_keep_map.clear(); }
  Result<void> keep(const PageRun& run) override {
    if (holder_ == abi::kNoHandle) holder_ = TRY(g_migration.kernel->create_holder());
    TRY(g_keep_map.add(run));
    return g_migration.kernel->share(task_, holder_, run.start, run.pages);
  }
  /// Hands the holder to the residual table (serving from now on); false if it is full.
  bool open(const SendJob& job) {
    if (holder_ == abi::kNoHandle) return true;  // no pages: nothing to serve
    SpaceGuard guard(*g_migration.lock);
    MemoryService& service = *g_migration.service;
    if (!service.residuals()
             .open(job.request.migration_id, job.request.pid, holder_, g_keep_map, service.now_ns())
             .ok()) {
      return false;
    }
    holder_ = abi::kNoHandle;
    opened_ = job.request.migration_id;
    return true;
  }
  /// After a failed send: nothing kept stays kept.
  void undo() {
    if (holder_ != abi::kNoHandle) g_migration.kernel->destroy_holder(holder_);
    holder_ = abi::kNoHandle;
    if (opened_ == 0) return;
    abi::Handle holder = abi::kNoHandle;
    {
      SpaceGuard guard(*g_migration.lock);
      MemoryService& service = *g_migration.service;
      if (Residual* residual = service.residuals().find(opened_); residual != nullptr) {
        holder = service.residuals().finish(*residual, service.now_ns());
      }
    }
    if (holder != abi::kNoHandle) g_migration.kernel->destroy_holder(holder);
  }

 private:
  abi::Handle task_;
  abi::Handle holder_ = abi::kNoHandle;
  uint64_t opened_ = 0;
};

// The sender's page store client as a PageSaver: one put per run, counted.
class StoreSaver final : public PageSaver {
 public:
  StoreSaver(pagestore::PageStoreClient& store, uint64_t pid) : store_(store), pid_(pid) {}
  Result<void> save(const PageRun& run, const uint8_t* bytes) override {
    pagestore::PageRef pages[kMaxRunPages];
    for (uint32_t i = 0; i < run.pages; ++i) {
      pages[i] = {run.start + i * kSlicePageBytes, bytes + i * kSlicePageBytes};
    }
    TRY(store_.put(pid_, {pages, run.pages}));
    bytes_ += pagestore::kRequestHeaderBytes + pagestore::put_body_bytes(run.pages);
    pages_ += run.pages;
    return success();
  }
  uint64_t bytes() const { return bytes_; }
  uint64_t pages() const { return pages_; }

 private:
  pagestore::PageStoreClient& store_;
  uint64_t pid_;
  uint64_t bytes_ = 0;
  uint64_t pages_ = 0;
};

void set_reason(SliceStatus& status, const char* reason) {
  size_t n = 0;
  for (; reason[n] != '\0' && n + 1 < sizeof(status.reason); ++n) status.reason[n] = reason[n];
  status.reason[n] = '\0';
}

SliceStatus failed(SliceStatus status, Error error, const char* reason) {
  status.state = SliceState::kFailed;
  status.error = static_cast<int32_t>(error);
  set_reason(status, reason);
  return status;
}

// What a send of `mode` takes.
SendOptions send_options(protocols::mm::SendMode mode) {
  using protocols::mm::SendMode;
  SendOptions options;
  switch (mode) {
    case SendMode::kWhole: break;
    case SendMode::kPrecopyFirst:
      options.clear_dirty_first = true;
      options.running = true;
      break;
    case SendMode::kPrecopyDirty:
      options.mode = kSliceIncremental;
      options.dirty_only = true;
      options.running = true;  // the last round is frozen; the others are not
      break;
    case SendMode::kLazy: options.mode = kSliceMap; break;
    case SendMode::kPostcopy: options.mode = kSliceMapPush; break;
    case SendMode::kFlush:
    case SendMode::kEagerDirty: options.mode = kSliceStore; break;
    case SendMode::kStoreSave:
    case SendMode::kStoreDrop: break;  // no slice: send_store_only
  }
  return options;
}

// The store's refusal for the record: "page store: REASON" (e.g. "store full").
SliceStatus store_failed(SliceStatus status, Error error, const char* what,
                         const pagestore::PageStoreClient& store) {
  char text[sizeof(status.reason)];
  size_t n = 0;
  for (const char* part : {what, ": ", store.reason()}) {
    for (; *part != '\0' && n + 1 < sizeof(text); ++part) text[n++] = *part;
  }
  text[n] = '\0';
  return failed(status, error, text);
}

// eager-dirty's live save (kStoreSave) and the undo of a store migration (kStoreDrop): the
// page store only, no slice to the destination.
SliceStatus send_store_only(const SendJob& job, SliceStatus status,
                            pagestore::PageStoreClient& store) {
  const uint64_t started = user::now_ns();
  if (job.request.mode == protocols::mm::SendMode::kStoreDrop) {
    Result<uint64_t> dropped = store.drop(job.request.pid);
    if (!dropped.ok()) return store_failed(status, dropped.error(), "page store", store);
    status.bytes_sent = pagestore::kRequestHeaderBytes + pagestore::kDropBodyBytes;
  } else {
    g_saved_migration = 0;
    StoreSaver saver(store, job.request.pid);
    SendScratch scratch{g_send_runs, kSendRuns, g_send_bitmap, kQueryPages, g_send_masks};
    SliceError refusal{Error::kOk, ""};
    Result<uint64_t> saved = save_memory_to_store(*g_migration.kernel, job.space, job.task, scratch,
                                                  saver, g_saved_map, &refusal);
    status.bytes_sent = saver.bytes();
    status.pages_sent = saver.pages();
    if (!saved.ok() && store.reason()[0] != '\0') {
      return store_failed(status, saved.error(), "page store", store);
    }
    if (!saved.ok()) return failed(status, refusal.error, refusal.reason);
    g_saved_migration = job.request.migration_id;
  }
  status.state = SliceState::kDone;
  status.elapsed_ns = user::now_ns() - started;
  return status;
}

// Sends the job's slice and waits for the receiver's ack.
SliceStatus send(const SendJob& job) {
  uint64_t started = user::now_ns();
  SliceStatus status{};
  status.migration_id = job.request.migration_id;
  // Pages still at the source of its last migration come here first (before the
  // destination waits on the slice connection).
  const char* why = "";
  if (Result<void> fetched = fetch_all_pages(job.request.pid, &why); !fetched.ok()) {
    return failed(status, fetched.error(), why);
  }
  Result<protocols::net::Client*> net = migration::slice_net();
  if (!net.ok()) return failed(status, net.error(), "net is not running");
  using protocols::mm::SendMode;
  const SendMode mode = job.request.mode;
  pagestore::PageStoreClient store(**net, job.request.store_ip, g_store_buffer);
  if (mode == SendMode::kStoreSave || mode == SendMode::kStoreDrop) {
    return send_store_only(job, status, store);
  }
  if (mode == SendMode::kEagerDirty && g_saved_migration != job.request.migration_id) {
    return failed(status, Error::kInvalidArgument, "no live save for this migration");
  }
  ChannelSink sink(**net, job.request.destination_ip, job.request.migration_id, job.request.pid);
  SendScratch scratch{g_send_runs, kSendRuns, g_send_bitmap, kQueryPages, g_send_masks};
  SliceError refusal{Error::kOk, ""};
  SendOptions options = send_options(mode);
  HolderKeeper keeper(job.task);
  options.keeper = &keeper;
  StoreSaver saver(store, job.request.pid);
  if (mode == SendMode::kFlush || mode == SendMode::kEagerDirty) {
    options.store_ip = job.request.store_ip;
    if (mode == SendMode::kFlush) options.saver = &saver;
    if (mode == SendMode::kEagerDirty) options.saved = &g_saved_map;
  }
  Result<SendTotals> sent =
      send_memory_slice(*g_migration.kernel, job.space, job.task, scratch, sink, &refusal, options);
  status.bytes_sent = saver.bytes();  // what went to the store counts, sent or not
  status.pages_sent = saver.pages();
  // The destination may ask for pages once it has the whole slice: serve from before that.
  if (sent.ok() && is_map(options.mode) && !keeper.open(job)) {
    keeper.undo();
    return failed(status, Error::kBusy, "mm serves as many lazy migrations as it can");
  }
  if (!sent.ok()) {
    keeper.undo();
    if (sink.unreachable())
      return failed(status, sent.error(), "the destination mm does not answer");
    if (store.reason()[0] != '\0') return store_failed(status, sent.error(), "page store", store);
    return failed(status, refusal.error, refusal.reason);
  }
  if (Result<void> flushed = sink.flush(); !flushed.ok()) {
    keeper.undo();
    return failed(status, flushed.error(), "the slice connection failed");
  }
  status.bytes_sent += sizeof(migration::SliceHeader) + sent->body_bytes;
  status.pages_sent += sent->pages;
  Result<migration::SliceAck> ack = sink.read_ack();
  sink.close();
  if (!ack.ok() || ack->error != 0) keeper.undo();
  if (!ack.ok()) return failed(status, ack.error(), "no acknowledgement from the destination");
  if (ack->error != 0) return failed(status, static_cast<Error>(ack->error), ack->reason);
  status.state = SliceState::kDone;
  status.elapsed_ns = user::now_ns() - started;
  return status;
}

void sender_thread(void*) {
  static SendJob job;  // large: off the thread's stack
  for (;;) {
    (void)user::notification_wait(g_migration.sender_wakeup, abi::kForever);
    bool taken;
    {
      SpaceGuard guard(*g_migration.lock);
      taken = g_migration.service->take_send(job);
    }
    if (!taken) continue;
    SliceStatus status = send(job);
    g_migration.kernel->close(job.task);
    if (status.state == SliceState::kFailed) {
      user::print("mm: memory slice of pid %#lx not sent: %s\n", job.request.pid, status.reason);
    }
    {
      SpaceGuard guard(*g_migration.lock);
      g_migration.service->finish_send(status);
    }
    if (job.done != abi::kNoHandle) {  // the status is in place: whoever waits may read it
      (void)user::notification_signal(job.done, protocols::mm::kSliceDoneBit);
      (void)user::handle_close(job.done);
    }
  }
}

// Reads and drops what is left of a refused slice, so that the sender, which reads the ack
// only after writing it all, gets the reason instead of a reset.
void drain(SliceChannel& channel, uint64_t left) {
  if (left > kMaxDrainBytes) return;
  while (left > 0) {
    size_t n = left < sizeof(g_drain) ? left : sizeof(g_drain);
    if (!channel.read_exact(g_drain, n).ok()) return;
    left -= n;
  }
}

// Receives one slice into its prepared space; the ack's error and reason on failure.
// `source_ip`: the sender's node, where a lazy slice's pages stay.
Result<uint64_t> receive(const migration::SliceHeader& header, ChannelSource& source,
                         uint32_t source_ip, SliceError* refusal) {
  static ReceiveTarget target;  // large: off the thread's stack
  {
    SpaceGuard guard(*g_migration.lock);
    target = TRY(g_migration.service->prepare_receive(header.pid, refusal));
  }
  RemoteMapOut map{g_received_map, kMapRuns, 0, kSliceWhole, 0};
  Result<uint64_t> pages =
      receive_memory_slice(*g_migration.kernel, *g_migration.service, target.space, target.task,
                           header.body_bytes, source, refusal, &map);
  Result<void> committed = pages.ok() ? success() : Result<void>(Err(pages.error()));
  if (pages.ok()) {
    SpaceGuard guard(*g_migration.lock);
    committed = g_migration.service->commit_receive(target, refusal);
    if (committed.ok() && has_page_map(map.mode)) {
      const bool store = map.mode == kSliceStore;
      committed = g_migration.service->open_lazy(
          header.pid, header.migration_id, store ? map.store_ip : source_ip,
          map.mode == kSliceMapPush, map.runs, map.count, store);
      if (!committed.ok()) *refusal = {committed.error(), "cannot take on another lazy process"};
    }
  }
  g_migration.kernel->close(target.task);
  if (!committed.ok()) return Err(committed.error());
  return *pages;
}

void receive_slice(SliceChannel& channel, void*) {
  Result<migration::SliceHeader> header = channel.read_header(SliceKind::kMemory);
  if (!header.ok()) {
    const bool late = header.error() == Error::kTimedOut;
    (void)channel.write_ack(header.error(), 0,
                            late ? "no slice header came in time" : "not a memory slice");
    return;
  }
  ChannelSource source(channel);
  SliceError refusal{Error::kOk, ""};
  Result<uint64_t> pages = receive(*header, source, channel.peer_ip(), &refusal);
  if (!pages.ok()) {
    user::print("mm: memory slice of pid %#lx refused: %s\n", header->pid, refusal.reason);
    if (source.consumed() <= header->body_bytes) {
      drain(channel, header->body_bytes - source.consumed());
    }
    (void)channel.write_ack(refusal.error, 0, refusal.reason);
    return;
  }
  (void)channel.write_ack(Error::kOk, *pages, "");
}

}  // namespace

Result<void> start_migration_threads(MemoryService& service, MemoryKernel& kernel, SpaceLock& lock,
                                     abi::Handle sender_wakeup) {
  g_migration = {&service, &kernel, &lock, sender_wakeup};
  TRY(user::spawn_thread(sender_thread, nullptr, kSenderStack, kSenderPriority));
  // SpaceLock blocks its waiters, so this thread may run below mm's main loop.
  return migration::start_slice_receiver(migration::kMemorySlicePort, receive_slice, nullptr,
                                         kSenderPriority);
}

}  // namespace atoll_os::servers::mm
