// Tests of pm's slice of a migration: the process-slice codec against malformed input, the
// classification of a process's handles, and both sides' state machines over a fake kernel.
#include <gtest/gtest.h>

#include <algorithm>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pm/migration.h"
#include "pm/process_service.h"
#include "pm/process_slice.h"

namespace atoll_os::servers::pm {
namespace {

using protocols::Call;
using protocols::kSystemBadge;
namespace pm_protocol = protocols::pm;

constexpr uint64_t kPid = pm_protocol::make_pid(2, 9);

std::unique_ptr<ProcessSlice> sample_slice() {
  auto slice = std::make_unique<ProcessSlice>();
  slice->pid = kPid;
  slice->parent = pm_protocol::make_pid(2, 4);
  slice->priority = 10;
  std::strcpy(slice->name, "counter");
  slice->thread_count = 1;
  slice->threads[0].rip = 0x401000;
  slice->threads[0].rsp = 0x7fff0000;
  slice->threads[0].fs_base = 0x5000;
  slice->threads[0].r15 = 0x1515;
  for (size_t i = 0; i < sizeof(slice->threads[0].fpu); ++i) slice->threads[0].fpu[i] = uint8_t(i);
  slice->handle_count = 5;
  slice->handles[0] = {1, SliceHandleKind::kSelfTask, abi::kRightRead | abi::kRightWrite, 0, 0, 0};
  slice->handles[1] = {2, SliceHandleKind::kNames, abi::kRightWrite, 0, 0, 0};
  slice->handles[2] = {0x10005, SliceHandleKind::kOwnEndpoint, abi::kRightsAll, 0, 0, 0x900};
  slice->handles[3] = {0x10006, SliceHandleKind::kOwnNotification, abi::kRightsAll, 1, 0, 0x901};
  slice->handles[4] = {0x10007, SliceHandleKind::kOwnEndpoint, abi::kRightWrite, 0, 77, 0x900};
  return slice;
}

std::vector<uint8_t> encoded(const ProcessSlice& slice) {
  std::vector<uint8_t> bytes(kSliceBodyMax);
  Result<size_t> n = encode(slice, bytes);
  EXPECT_TRUE(n.ok());
  bytes.resize(n.ok() ? *n : 0);
  return bytes;
}

Error decode_error(const std::vector<uint8_t>& bytes, const char** reason = nullptr) {
  auto out = std::make_unique<ProcessSlice>();
  Result<void> decoded = decode(bytes, *out, reason);
  return decoded.ok() ? Error::kOk : decoded.error();
}

void put32(std::vector<uint8_t>& bytes, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = uint8_t(v >> (8 * i));
}

constexpr size_t kHandlesOffset = kSliceFixedSize + kThreadStateWireSize;

TEST(ProcessSliceCodec, RoundTripKeepsEverything) {
  auto slice = sample_slice();
  std::vector<uint8_t> bytes = encoded(*slice);
  EXPECT_EQ(bytes.size(), encoded_size(*slice));
  EXPECT_EQ(bytes.size(), kSliceFixedSize + kThreadStateWireSize + 5 * kHandleWireSize);
  auto out = std::make_unique<ProcessSlice>();
  ASSERT_TRUE(decode(bytes, *out).ok());
  EXPECT_EQ(out->pid, kPid);
  EXPECT_EQ(out->parent, slice->parent);
  EXPECT_EQ(out->priority, 10u);
  EXPECT_STREQ(out->name, "counter");
  EXPECT_EQ(0, std::memcmp(&out->threads[0], &slice->threads[0], sizeof(abi::ThreadState)));
  ASSERT_EQ(out->handle_count, 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(out->handles[i].value, slice->handles[i].value);
    EXPECT_EQ(out->handles[i].kind, slice->handles[i].kind);
    EXPECT_EQ(out->handles[i].rights, slice->handles[i].rights);
    EXPECT_EQ(out->handles[i].object, slice->handles[i].object);
    EXPECT_EQ(out->handles[i].badge, slice->handles[i].badge);
  }
}

TEST(ProcessSliceCodec, FieldsAreLittleEndianAtTheirPlaces) {
  std::vector<uint8_t> bytes = encoded(*sample_slice());
  EXPECT_EQ(bytes[0], kProcessSliceFormat);
  EXPECT_EQ(bytes[4], 1u);  // threads
  EXPECT_EQ(bytes[8], 5u);  // handles
  EXPECT_EQ(bytes[16], 9u);
  EXPECT_EQ(bytes[16 + 6], 2u);                      // the PID's node
  EXPECT_EQ(bytes[kSliceFixedSize + 16 * 8], 0x00);  // rip, low byte
  EXPECT_EQ(bytes[kSliceFixedSize + 16 * 8 + 1], 0x10);
  EXPECT_EQ(bytes[kHandlesOffset + 2 * kHandleWireSize + 2], 0x01);  // value 0x10005
  EXPECT_EQ(bytes[kHandlesOffset + 4], uint8_t(SliceHandleKind::kSelfTask));
}

TEST(ProcessSliceCodec, EveryShortPrefixIsTruncated) {
  std::vector<uint8_t> bytes = encoded(*sample_slice());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
    EXPECT_EQ(decode_error(prefix), Error::kTruncated) << "length " << n;
  }
}

TEST(ProcessSliceCodec, TrailingBytesAreRefused) {
  std::vector<uint8_t> bytes = encoded(*sample_slice());
  bytes.push_back(0);
  EXPECT_EQ(decode_error(bytes), Error::kBadFormat);
}

TEST(ProcessSliceCodec, MalformedRecordsAreRefusedWithAReason) {
  struct Case {
    size_t offset;
    uint32_t value;
    const char* reason;
  };
  const Case cases[] = {
      {0, kProcessSliceFormat + 1, "unknown slice format"},
      {4, 0, "thread count out of range"},
      {4, kSliceThreadsMax + 1, "thread count out of range"},
      {8, kSliceHandlesMax + 1, "handle count out of range"},
      {12, 1, "reserved field set"},
      {16, 0, "not a valid PID"},  // serial 0
      {32, abi::kPriorityCount, "priority out of range"},
      {36, 0x80, "unknown flags"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = encoded(*sample_slice());
    put32(bytes, c.offset, c.value);
    const char* reason = nullptr;
    EXPECT_EQ(decode_error(bytes, &reason), Error::kBadFormat) << c.reason;
    EXPECT_STREQ(reason, c.reason);
  }
  std::vector<uint8_t> bytes = encoded(*sample_slice());
  bytes[23] = 0x80;  // the PID's bit 63: a node above kMaxNode
  EXPECT_EQ(decode_error(bytes), Error::kBadFormat);
  bytes = encoded(*sample_slice());
  std::memset(&bytes[40], 'x', 16);
  EXPECT_EQ(decode_error(bytes), Error::kBadFormat);
}

TEST(ProcessSliceCodec, MalformedHandlesAreRefused) {
  auto at = [](size_t handle, size_t field) {
    return kHandlesOffset + handle * kHandleWireSize + field;
  };
  struct Case {
    size_t offset;
    uint8_t value;
    const char* reason;
  };
  const Case cases[] = {
      {at(1, 0), 1, "handle values not increasing"},  // 2 -> 1: equal to the first
      {at(0, 4), 0, "unknown handle kind"},
      {at(0, 4), kSliceHandleKindLast + 1, "unknown handle kind"},
      {at(0, 5), 1, "reserved field set"},
      {at(0, 9), 0x01, "unknown handle rights"},  // bit 8
      {at(1, 12), 1, "object or badge on a server handle"},
      {at(1, 16), 1, "object or badge on a server handle"},
      {at(2, 12), 1, "own objects not numbered in order"},
      {at(3, 12), 0, "one object of two kinds"},  // the notification on the endpoint's object
      {at(1, 24), 1, "object or badge on a server handle"},
      {at(2, 25), 0, "own object without its source id"},  // 0x900 -> 0
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> bytes = encoded(*sample_slice());
    bytes[c.offset] = c.value;
    const char* reason = nullptr;
    EXPECT_EQ(decode_error(bytes, &reason), Error::kBadFormat) << c.reason;
    EXPECT_STREQ(reason, c.reason);
  }
  std::vector<uint8_t> bytes = encoded(*sample_slice());
  put32(bytes, at(0, 0), 0);
  EXPECT_EQ(decode_error(bytes), Error::kBadFormat);  // value 0 is never a handle
}

TEST(ProcessSliceCodec, EncodeRefusesWhatDecodeWould) {
  auto slice = sample_slice();
  std::vector<uint8_t> small(kSliceFixedSize);
  EXPECT_EQ(encode(*slice, small).error(), Error::kOutOfRange);
  slice->handles[4].object = 5;
  std::vector<uint8_t> bytes(kSliceBodyMax);
  EXPECT_EQ(encode(*slice, bytes).error(), Error::kInvalidArgument);
}

TEST(ProcessSliceCodec, GarbageNeverDecodesPastItsBuffer) {
  uint32_t seed = 12345;
  std::vector<uint8_t> base = encoded(*sample_slice());
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bytes = base;
    for (int flips = 0; flips < 4; ++flips) {
      seed = seed * 1103515245 + 12345;
      bytes[(seed >> 8) % bytes.size()] ^= uint8_t(seed >> 24);
    }
    seed = seed * 1103515245 + 12345;
    bytes.resize((seed >> 8) % (bytes.size() + 1));
    (void)decode_error(bytes);  // ASan checks the bounds
  }
}

// ---- Handle classification.

constexpr KnownObjects kKnown{/*task=*/500, /*names=*/501, /*process_manager=*/502,
                              /*console=*/503, /*ipcm=*/504};

abi::HandleListEntry entry(uint32_t value, abi::ObjectType type, uint32_t rights, uint64_t badge,
                           uint64_t object) {
  return {value, type, rights, 0, badge, object};
}

// What spawn gives every process, as task_handles lists it.
std::vector<abi::HandleListEntry> spawned_table() {
  return {entry(1, abi::ObjectType::kTask, abi::kRightRead | abi::kRightWrite, 0, 500),
          entry(2, abi::ObjectType::kEndpoint, abi::kRightWrite | abi::kRightTransfer, kPid, 501),
          entry(3, abi::ObjectType::kEndpoint, abi::kRightWrite, kPid, 502),
          entry(4, abi::ObjectType::kEndpoint, abi::kRightWrite, kPid, 503)};
}

TEST(HandleClassification, WhatSpawnGivesMoves) {
  auto slice = std::make_unique<ProcessSlice>();
  HandleRefusal refusal{};
  ASSERT_TRUE(classify_handles(spawned_table(), kKnown, kPid, *slice, refusal).ok());
  ASSERT_EQ(slice->handle_count, 4u);
  EXPECT_EQ(slice->handles[0].kind, SliceHandleKind::kSelfTask);
  EXPECT_EQ(slice->handles[0].rights, uint32_t{abi::kRightRead | abi::kRightWrite});
  EXPECT_EQ(slice->handles[1].kind, SliceHandleKind::kNames);
  EXPECT_EQ(slice->handles[1].rights, uint32_t{abi::kRightWrite | abi::kRightTransfer});
  EXPECT_EQ(slice->handles[2].kind, SliceHandleKind::kProcessManager);
  EXPECT_EQ(slice->handles[3].kind, SliceHandleKind::kConsole);
  EXPECT_EQ(slice->handles[3].badge, 0u);  // implied: the PID
}

TEST(HandleClassification, OwnObjectsAreNumberedAndShared) {
  std::vector<abi::HandleListEntry> table = spawned_table();
  table.push_back(entry(0x10005, abi::ObjectType::kEndpoint, abi::kRightsAll, 0, 900));
  table.push_back(entry(0x10006, abi::ObjectType::kNotification, abi::kRightsAll, 0, 901));
  table.push_back(entry(0x10007, abi::ObjectType::kEndpoint, abi::kRightWrite, 42, 900));
  auto slice = std::make_unique<ProcessSlice>();
  HandleRefusal refusal{};
  ASSERT_TRUE(classify_handles(table, kKnown, kPid, *slice, refusal).ok());
  ASSERT_EQ(slice->handle_count, 7u);
  EXPECT_EQ(slice->handles[4].kind, SliceHandleKind::kOwnEndpoint);
  EXPECT_EQ(slice->handles[4].object, 0u);
  EXPECT_EQ(slice->handles[5].kind, SliceHandleKind::kOwnNotification);
  EXPECT_EQ(slice->handles[5].object, 1u);
  EXPECT_EQ(slice->handles[6].kind, SliceHandleKind::kOwnEndpoint);  // a badged send copy
  EXPECT_EQ(slice->handles[6].object, 0u);
  EXPECT_EQ(slice->handles[6].badge, 42u);
  EXPECT_EQ(slice->handles[4].source_object, 900u);  // ipcm finds its port objects by these
  EXPECT_EQ(slice->handles[5].source_object, 901u);
  EXPECT_EQ(slice->handles[6].source_object, 900u);
  // Whatever classify makes, the codec carries.
  slice->pid = kPid;
  slice->priority = 10;
  slice->thread_count = 1;
  std::vector<uint8_t> bytes(kSliceBodyMax);
  EXPECT_TRUE(encode(*slice, bytes).ok());
}

TEST(HandleClassification, AnIpcmSessionAndRevokedPathsMove) {
  std::vector<abi::HandleListEntry> table = spawned_table();
  table.push_back(entry(5, abi::ObjectType::kEndpoint, abi::kRightWrite, 3, 504));
  // A direct path ipcm revoked: another process's endpoint, which alone could not move.
  abi::HandleListEntry path = entry(6, abi::ObjectType::kEndpoint, abi::kRightWrite, 3, 777);
  path.flags = abi::kHandleRevoked;
  table.push_back(path);
  auto slice = std::make_unique<ProcessSlice>();
  HandleRefusal refusal{};
  ASSERT_TRUE(classify_handles(table, kKnown, kPid, *slice, refusal).ok());
  ASSERT_EQ(slice->handle_count, 6u);
  EXPECT_EQ(slice->handles[4].kind, SliceHandleKind::kIpcmSession);
  EXPECT_EQ(slice->handles[4].badge, 0u);  // the destination's ipcm badges a new session
  EXPECT_EQ(slice->handles[5].kind, SliceHandleKind::kRevoked);
  slice->pid = kPid;
  slice->priority = 10;
  slice->thread_count = 1;
  std::vector<uint8_t> bytes(kSliceBodyMax);
  Result<size_t> n = encode(*slice, bytes);
  ASSERT_TRUE(n.ok());
  bytes.resize(*n);
  auto decoded = std::make_unique<ProcessSlice>();
  ASSERT_TRUE(decode(bytes, *decoded).ok());
  EXPECT_EQ(decoded->handles[4].kind, SliceHandleKind::kIpcmSession);
  EXPECT_EQ(decoded->handles[5].kind, SliceHandleKind::kRevoked);
  // ipcm's endpoint itself (unbadged, or with the system badge) is no session.
  for (uint64_t badge : {uint64_t{0}, protocols::kSystemBadge}) {
    table = spawned_table();
    table.push_back(entry(5, abi::ObjectType::kEndpoint, abi::kRightWrite, badge, 504));
    ASSERT_FALSE(classify_handles(table, kKnown, kPid, *slice, refusal).ok());
    EXPECT_STREQ(refusal.what, "holds ipcm's endpoint outside a session");
    EXPECT_EQ(refusal.value, 5u);
  }
}

TEST(HandleClassification, WhatCannotMoveIsNamed) {
  struct Case {
    abi::HandleListEntry extra;
    const char* what;
  };
  const Case cases[] = {
      {entry(0x20009, abi::ObjectType::kEndpoint, abi::kRightWrite, 7, 777),
       "holds an endpoint of another server"},
      {entry(0x20009, abi::ObjectType::kThread, abi::kRightsAll, 0, 778), "holds a thread handle"},
      {entry(0x20009, abi::ObjectType::kTask, abi::kRightRead, 0, 779),
       "holds the task of another process"},
      {entry(0x20009, abi::ObjectType::kIrq, abi::kRightRead, 0, 780), "holds a device handle"},
      {entry(0x20009, abi::ObjectType::kEndpoint, abi::kRightWrite, 1234, 502),
       "holds a server endpoint badged for another process"},
  };
  for (const Case& c : cases) {
    std::vector<abi::HandleListEntry> table = spawned_table();
    table.push_back(c.extra);
    auto slice = std::make_unique<ProcessSlice>();
    HandleRefusal refusal{};
    EXPECT_EQ(classify_handles(table, kKnown, kPid, *slice, refusal).error(), Error::kNotSupported);
    EXPECT_STREQ(refusal.what, c.what);
    EXPECT_EQ(refusal.value, 0x20009u);
  }
}

TEST(HandleClassification, WithoutAConsoleItsEndpointIsForeign) {
  KnownObjects known = kKnown;
  known.console = 0;
  auto slice = std::make_unique<ProcessSlice>();
  HandleRefusal refusal{};
  EXPECT_EQ(classify_handles(spawned_table(), known, kPid, *slice, refusal).error(),
            Error::kNotSupported);
  EXPECT_EQ(refusal.value, 4u);
}

TEST(HandleClassification, TooManyHandlesAreRefused) {
  std::vector<abi::HandleListEntry> table;
  for (uint32_t i = 1; i <= kSliceHandlesMax + 1; ++i) {
    table.push_back(entry(i, abi::ObjectType::kNotification, abi::kRightsAll, 0, 1000 + i));
  }
  auto slice = std::make_unique<ProcessSlice>();
  HandleRefusal refusal{};
  EXPECT_EQ(classify_handles(table, kKnown, kPid, *slice, refusal).error(), Error::kOutOfRange);
}

// ---- The state machines, over a fake kernel.

class FakeKernel final : public ProcessKernel, public MigrationKernel {
 public:
  // ProcessKernel.
  Result<Launched> launch(const Launch& launch, const char**) override {
    abi::Handle task = next++;
    tasks[task] = {abi::TaskState::kRunning, 1, 0, 0, 0, 0};
    object_of[task] = next_object++;
    listed[task] = {
        entry(1, abi::ObjectType::kTask, abi::kRightRead | abi::kRightWrite, 0, object_of[task]),
        entry(3, abi::ObjectType::kEndpoint, abi::kRightWrite, launch.process.pid, kPmObject)};
    return Launched{task, next++};
  }
  Result<abi::TaskStatus> task_status(abi::Handle task) override {
    if (!tasks.count(task)) return Err(Error::kBadHandle);
    return tasks[task];
  }
  Result<void> task_kill(abi::Handle task, int64_t code) override {
    tasks[task] = {abi::TaskState::kKilled, 0, code, 0, 0, 0};
    killed.push_back(task);
    return success();
  }
  Result<abi::ThreadStats> thread_stats(abi::Handle) override { return abi::ThreadStats{}; }
  void close(abi::Handle handle) override { closed.push_back(handle); }
  void signal(abi::Handle notification, uint64_t bits) override {
    signals.push_back({notification, bits});
  }
  Result<protocols::mm::SpaceInfo> space_info(uint64_t) override {
    protocols::mm::SpaceInfo info{};
    info.resident_pages = 40;
    info.page_quota = 1000;
    return info;
  }
  Result<protocols::mm::Stats> memory_stats() override {
    protocols::mm::Stats stats{};
    stats.kernel.free_frames = free_frames;
    return stats;
  }
  void forget(uint64_t pid) override { forgotten.push_back(pid); }
  uint64_t clock_ns() override { return now; }

  // MigrationKernel.
  abi::Handle names_endpoint() override { return kNamesHandle; }
  abi::Handle own_endpoint() override { return kPmHandle; }
  Result<abi::HandleInfo> handle_info(abi::Handle handle) override {
    if (handle == kNamesHandle)
      return abi::HandleInfo{abi::ObjectType::kEndpoint, 0, 0, kNamesObject};
    if (handle == kPmHandle) return abi::HandleInfo{abi::ObjectType::kEndpoint, 0, 0, kPmObject};
    if (handle == kIpcmHandle) {
      return abi::HandleInfo{abi::ObjectType::kEndpoint, 0, 0, kIpcmObject};
    }
    if (handle == kConsoleHandle) {
      return abi::HandleInfo{abi::ObjectType::kEndpoint, 0, 0, kConsoleObject};
    }
    if (object_of.count(handle)) {
      return abi::HandleInfo{abi::ObjectType::kTask, 0, 0, object_of[handle]};
    }
    return Err(Error::kBadHandle);
  }
  Result<size_t> task_handles(abi::Handle task, uint32_t after, abi::HandleListEntry* out,
                              size_t max) override {
    size_t n = 0;
    for (const abi::HandleListEntry& e : listed[task]) {
      if (e.value > after && n < max) out[n++] = e;
    }
    return n;
  }
  Result<void> thread_suspend(abi::Handle thread) override {
    ++suspend_calls;
    if (busy_polls > 0) {
      --busy_polls;
      return Err(Error::kBusy);
    }
    suspended[thread] = true;
    return success();
  }
  Result<void> thread_resume(abi::Handle thread) override {
    suspended[thread] = false;
    ++resumes;
    return success();
  }
  Result<void> thread_read_state(abi::Handle, abi::ThreadState& out) override {
    out = abi::ThreadState{};
    out.rip = 0x401234;
    out.rsp = 0x7ff000;
    out.fs_base = 0x6000;
    return success();
  }
  Result<void> thread_write_state(abi::Handle thread, const abi::ThreadState& in) override {
    written[thread] = in;
    return success();
  }
  Result<abi::Handle> thread_create(abi::Handle) override { return next++; }
  Result<void> thread_start(abi::Handle thread, uint32_t priority) override {
    started.push_back({thread, priority});
    return success();
  }
  void pause_ms(uint64_t ms) override { now += ms * 1'000'000; }
  Result<abi::Handle> create_task(uint64_t pid, uint64_t, uint64_t quota,
                                  const char** reason) override {
    if (fail_task) {
      *reason = "mm refused the space";
      return Err(Error::kOutOfMemory);
    }
    created_spaces.push_back({pid, quota});
    abi::Handle task = next++;
    tasks[task] = {abi::TaskState::kRunning, 0, 0, 0, 0, 0};
    return task;
  }
  Result<void> install_handle(abi::Handle task, abi::Handle source, uint32_t rights, uint64_t badge,
                              uint32_t value) override {
    installs.push_back({task, source, rights, badge, value});
    return success();
  }
  Result<abi::Handle> create_object(abi::ObjectType type) override {
    created_objects.push_back(type);
    return next++;
  }
  abi::Handle ipcm_endpoint() override { return kIpcmHandle; }
  Result<abi::Handle> ipcm_object(uint64_t migration_id, uint64_t pid,
                                  uint64_t source_object) override {
    ipcm_asked.push_back(source_object);
    if (migration_id != ipcm_migration || pid != ipcm_pid) return Err(Error::kNotFound);
    auto made = ipcm_made.find(source_object);
    if (made == ipcm_made.end()) return Err(Error::kNotFound);
    return made->second;
  }
  Result<void> install_revoked(abi::Handle task, uint32_t value) override {
    revoked_installs.push_back({task, value});
    return success();
  }
  Result<uint64_t> send_slice(const SliceDelivery& delivery, const char** reason) override {
    sent.assign(delivery.body.begin(), delivery.body.end());
    sent_pid = delivery.pid;
    if (refuse_slice) {
      *reason = "destination refuses";
      return Err(Error::kBadFormat);
    }
    return delivery.body.size() + 96;
  }

  struct Install {
    abi::Handle task, source;
    uint32_t rights;
    uint64_t badge;
    uint32_t value;
  };
  static constexpr abi::Handle kNamesHandle = 7, kPmHandle = 8, kConsoleHandle = 9;
  static constexpr abi::Handle kIpcmHandle = 10;
  static constexpr uint64_t kNamesObject = 501, kPmObject = 502, kConsoleObject = 503;
  static constexpr uint64_t kIpcmObject = 504;
  abi::Handle next = 100;
  uint64_t next_object = 600;
  uint64_t now = 0;
  uint64_t free_frames = 100000;
  int busy_polls = 0;
  int suspend_calls = 0;
  int resumes = 0;
  bool fail_task = false;
  bool refuse_slice = false;
  std::map<abi::Handle, abi::TaskStatus> tasks;
  std::map<abi::Handle, uint64_t> object_of;
  std::map<abi::Handle, std::vector<abi::HandleListEntry>> listed;
  std::map<abi::Handle, bool> suspended;
  std::map<abi::Handle, abi::ThreadState> written;
  std::vector<abi::Handle> killed, closed;
  std::vector<std::pair<abi::Handle, uint64_t>> signals;
  std::vector<uint64_t> forgotten;
  std::vector<std::pair<uint64_t, uint64_t>> created_spaces;
  std::vector<std::pair<abi::Handle, uint32_t>> started;
  std::vector<Install> installs;
  std::vector<abi::ObjectType> created_objects;
  // What this node's ipcm prepared: its session (key 0) and its port objects, by source id.
  uint64_t ipcm_migration = 0, ipcm_pid = 0;
  std::map<uint64_t, abi::Handle> ipcm_made;
  std::vector<uint64_t> ipcm_asked;
  std::vector<std::pair<abi::Handle, uint32_t>> revoked_installs;
  std::vector<uint8_t> sent;
  uint64_t sent_pid = 0;
};

class MigrationTest : public ::testing::Test {
 protected:
  Call system() {
    Call call;
    call.badge = kSystemBadge;
    return call;
  }
  uint64_t spawn() {
    pm_protocol::SpawnRequest request{};
    std::strcpy(request.module, "counter");
    Call call = system();
    Result<pm_protocol::SpawnReply> reply = source_->spawn(request, call);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? reply->pid : 0;
  }
  pm_protocol::PrepareRequest prepare_request(uint64_t pid) {
    pm_protocol::PrepareRequest request{};
    request.pid = pid;
    request.migration_id = 33;
    request.priority = abi::kPriorityDefault;
    request.resident_pages = 40;
    std::strcpy(request.name, "counter");
    return request;
  }
  // Registers a console on a service, as ctl does.
  void give_console(ProcessService& service) {
    Call call = system();
    call.received.add(FakeKernel::kConsoleHandle);
    ASSERT_TRUE(service.register_console({}, call).ok());
  }
  Error error_of(Result<protocols::Empty> result) {
    return result.ok() ? Error::kOk : result.error();
  }

  FakeKernel source_kernel_;
  FakeKernel destination_kernel_;
  std::unique_ptr<ProcessService> source_ =
      std::make_unique<ProcessService>(source_kernel_, 2, &source_kernel_);
  std::unique_ptr<ProcessService> destination_ =
      std::make_unique<ProcessService>(destination_kernel_, 5, &destination_kernel_);
};

TEST_F(MigrationTest, OnlyPrivilegedCallersMigrate) {
  uint64_t pid = spawn();
  Call app;
  app.badge = pid;
  EXPECT_EQ(source_->migrate_describe({pid}, app).error(), Error::kAccessDenied);
  EXPECT_EQ(source_->migrate_freeze({pid}, app).error(), Error::kAccessDenied);
  EXPECT_EQ(destination_->migrate_prepare(prepare_request(pid), app).error(), Error::kAccessDenied);
  EXPECT_EQ(destination_->migrate_commit({pid}, app).error(), Error::kAccessDenied);
  ProcessService plain(source_kernel_, 2);  // no migration primitives
  Call call = system();
  EXPECT_EQ(plain.migrate_describe({pid}, call).error(), Error::kNotSupported);
}

TEST_F(MigrationTest, UnknownPidsAreNotFound) {
  Call call = system();
  uint64_t nobody = pm_protocol::make_pid(2, 999);
  EXPECT_EQ(source_->migrate_describe({nobody}, call).error(), Error::kNotFound);
  EXPECT_EQ(source_->migrate_freeze({nobody}, call).error(), Error::kNotFound);
  EXPECT_EQ(error_of(source_->migrate_thaw({nobody}, call)), Error::kNotFound);
  EXPECT_EQ(error_of(source_->migrate_release({nobody}, call)), Error::kNotFound);
  EXPECT_EQ(error_of(destination_->migrate_commit({nobody}, call)), Error::kNotFound);
  EXPECT_EQ(error_of(destination_->migrate_abort({nobody}, call)), Error::kNotFound);
}

TEST_F(MigrationTest, DescribeSaysWhatTheProcessIs) {
  uint64_t pid = spawn();
  Call call = system();
  Result<pm_protocol::DescribeReply> reply = source_->migrate_describe({pid}, call);
  ASSERT_TRUE(reply.ok()) << call.reason;
  EXPECT_EQ(reply->pid, pid);
  EXPECT_EQ(reply->priority, abi::kPriorityDefault);
  EXPECT_EQ(reply->resident_pages, 40u);
  EXPECT_EQ(reply->page_quota, 1000u);
  EXPECT_STREQ(reply->name, "counter");
}

TEST_F(MigrationTest, RefusesBeforeFreezingWhatCannotMove) {
  uint64_t pid = spawn();
  abi::Handle task = source_->table().find(pid)->task;
  source_kernel_.listed[task].push_back(
      entry(0x3000a, abi::ObjectType::kEndpoint, abi::kRightWrite, 5, 4242));
  Call call = system();
  EXPECT_EQ(source_->migrate_describe({pid}, call).error(), Error::kNotSupported);
  EXPECT_STREQ(call.reason, "holds an endpoint of another server (handle 0x3000a)");
  Call freeze = system();
  EXPECT_EQ(source_->migrate_freeze({pid}, freeze).error(), Error::kNotSupported);
  EXPECT_EQ(source_kernel_.suspend_calls, 0);  // nothing frozen for nothing
  source_kernel_.listed[task].pop_back();
  source_kernel_.tasks[task].thread_count = 2;
  Call threads = system();
  EXPECT_EQ(source_->migrate_freeze({pid}, threads).error(), Error::kNotSupported);
  EXPECT_STREQ(threads.reason, "has more than one thread");
}

TEST_F(MigrationTest, FreezeThawAndDoubleFreeze) {
  uint64_t pid = spawn();
  Process* process = source_->table().find(pid);
  Call call = system();
  source_kernel_.busy_polls = 3;  // in the reply phase of a call for a while
  Result<pm_protocol::FreezeReply> frozen = source_->migrate_freeze({pid}, call);
  ASSERT_TRUE(frozen.ok()) << call.reason;
  EXPECT_EQ(frozen->threads, 1u);
  EXPECT_EQ(source_kernel_.suspend_calls, 4);
  EXPECT_TRUE(source_kernel_.suspended[process->thread]);
  EXPECT_EQ(source_->migrate_freeze({pid}, call).error(), Error::kBusy);
  // Meanwhile it cannot be killed (it may be about to run elsewhere) and still waits.
  pm_protocol::KillRequest kill{pid, 1};
  EXPECT_EQ(error_of(source_->kill(kill, call)), Error::kBusy);
  EXPECT_EQ(source_->wait({pid}, call).error(), Error::kBusy);
  ASSERT_TRUE(source_->migrate_thaw({pid}, call).ok());
  EXPECT_FALSE(source_kernel_.suspended[process->thread]);
  EXPECT_EQ(error_of(source_->migrate_thaw({pid}, call)), Error::kInvalidArgument);
  EXPECT_TRUE(source_->kill(kill, call).ok());  // runs on as before
}

TEST_F(MigrationTest, FreezeGivesUpOnAReplyThatNeverComes) {
  uint64_t pid = spawn();
  source_kernel_.busy_polls = 1'000'000;
  Call call = system();
  EXPECT_EQ(source_->migrate_freeze({pid}, call).error(), Error::kTimedOut);
  EXPECT_GE(source_kernel_.now, kFreezeTimeoutNs);
  EXPECT_EQ(source_kernel_.resumes, 1);  // the pending suspension is cancelled
  EXPECT_EQ(source_->table().find(pid)->migration, Migration::kNone);
}

TEST_F(MigrationTest, SendNeedsAFrozenProcess) {
  uint64_t pid = spawn();
  Call call = system();
  EXPECT_EQ(source_->migrate_send({pid, 33, 0x0100000a, 0}, call).error(), Error::kInvalidArgument);
  EXPECT_EQ(error_of(source_->migrate_release({pid}, call)), Error::kInvalidArgument);
  EXPECT_TRUE(source_kernel_.sent.empty());
}

TEST_F(MigrationTest, PrepareRefusesWithAReason) {
  Call call = system();
  destination_kernel_.free_frames = 100;
  EXPECT_EQ(error_of(destination_->migrate_prepare(prepare_request(kPid), call)),
            Error::kOutOfMemory);
  EXPECT_STREQ(call.reason, "not enough free memory: 100 pages free, 296 needed");
  destination_kernel_.free_frames = 100000;
  pm_protocol::PrepareRequest bad = prepare_request(pm_protocol::make_pid(2, 0));
  EXPECT_EQ(error_of(destination_->migrate_prepare(bad, call)), Error::kInvalidArgument);
  destination_kernel_.fail_task = true;
  EXPECT_EQ(error_of(destination_->migrate_prepare(prepare_request(kPid), call)),
            Error::kOutOfMemory);
  EXPECT_EQ(destination_->table().find_any(kPid), nullptr);  // nothing left of it
  destination_kernel_.fail_task = false;
  ASSERT_TRUE(destination_->migrate_prepare(prepare_request(kPid), call).ok());
  EXPECT_EQ(error_of(destination_->migrate_prepare(prepare_request(kPid), call)),
            Error::kAlreadyExists);
}

TEST_F(MigrationTest, PrepareRefusesWhenTheTableIsFull) {
  Call call = system();
  for (uint64_t i = 0; i < kMaxProcesses; ++i) {
    ASSERT_TRUE(
        destination_->migrate_prepare(prepare_request(pm_protocol::make_pid(3, i + 1)), call).ok());
  }
  EXPECT_EQ(error_of(destination_->migrate_prepare(prepare_request(kPid), call)),
            Error::kOutOfMemory);
  EXPECT_STREQ(call.reason, "the process table is full");
}

TEST_F(MigrationTest, APreparedProcessIsHiddenUntilCommitted) {
  Call call = system();
  ASSERT_TRUE(destination_->migrate_prepare(prepare_request(kPid), call).ok());
  Process* incoming = destination_->table().find_any(kPid);
  ASSERT_NE(incoming, nullptr);
  EXPECT_EQ(destination_kernel_.created_spaces.size(), 1u);
  EXPECT_EQ(destination_->table().find(kPid), nullptr);
  EXPECT_EQ(destination_->list({0}, call)->count, 0u);
  EXPECT_EQ(destination_->wait({kPid}, call).error(), Error::kNotFound);
  EXPECT_EQ(error_of(destination_->kill({kPid, 1}, call)), Error::kNotFound);
  EXPECT_EQ(error_of(destination_->migrate_commit({kPid}, call)), Error::kBusy);  // no slice
  EXPECT_STREQ(call.reason, "the process slice has not arrived");
  // Its death (the abort's kill) is not reported as an end.
  ASSERT_TRUE(destination_->migrate_abort({kPid}, call).ok());
  EXPECT_EQ(destination_kernel_.killed.size(), 1u);
  EXPECT_EQ(destination_kernel_.forgotten, std::vector<uint64_t>{kPid});
  EXPECT_EQ(destination_->table().find_any(kPid), nullptr);
  EXPECT_EQ(destination_->events().size(), 0u);
}

// The whole eager flow between two services, the wire in between.
TEST_F(MigrationTest, AProcessMovesAndTheSourceForgetsIt) {
  give_console(*source_);
  give_console(*destination_);
  uint64_t pid = spawn();
  Process* process = source_->table().find(pid);
  abi::Handle old_task = process->task;
  uint64_t task_object = source_kernel_.object_of[old_task];
  source_kernel_.listed[old_task] = {
      entry(1, abi::ObjectType::kTask, abi::kRightRead | abi::kRightWrite, 0, task_object),
      entry(2, abi::ObjectType::kEndpoint, abi::kRightWrite | abi::kRightTransfer, pid, 501),
      entry(3, abi::ObjectType::kEndpoint, abi::kRightWrite, pid, 502),
      entry(4, abi::ObjectType::kEndpoint, abi::kRightWrite, pid, 503),
      entry(0x10005, abi::ObjectType::kEndpoint, abi::kRightsAll, 0, 900),
      entry(0x10006, abi::ObjectType::kNotification, abi::kRightsAll, 0, 901),
      entry(0x10007, abi::ObjectType::kEndpoint, abi::kRightWrite, 42, 900)};
  // A parent-like watcher waits for it on the source.
  Call watch = system();
  watch.received.add(55);
  EXPECT_EQ(source_->wait({pid}, watch).error(), Error::kBusy);

  Call call = system();
  Result<pm_protocol::DescribeReply> described = source_->migrate_describe({pid}, call);
  ASSERT_TRUE(described.ok());
  pm_protocol::PrepareRequest prepare = prepare_request(pid);
  prepare.parent = described->parent;
  prepare.priority = described->priority;
  prepare.page_quota = described->page_quota;
  ASSERT_TRUE(destination_->migrate_prepare(prepare, call).ok()) << call.reason;
  ASSERT_TRUE(source_->migrate_freeze({pid}, call).ok());
  Result<pm_protocol::SliceReply> sent = source_->migrate_send({pid, 33, 0x0100000a, 0}, call);
  ASSERT_TRUE(sent.ok()) << call.reason;
  EXPECT_EQ(sent->handles, 7u);
  EXPECT_EQ(sent->threads, 1u);
  EXPECT_EQ(source_kernel_.sent_pid, pid);

  const char* reason = nullptr;
  Result<void> received = destination_->receive_slice(pid, 33, source_kernel_.sent, &reason);
  ASSERT_TRUE(received.ok()) << reason;
  Process* incoming = destination_->table().find_any(pid);
  abi::Handle new_task = incoming->task;
  const auto& installs = destination_kernel_.installs;
  ASSERT_EQ(installs.size(), 7u);
  EXPECT_EQ(installs[0].source, new_task);  // self_task
  EXPECT_EQ(installs[0].value, 1u);
  EXPECT_EQ(installs[0].badge, 0u);
  EXPECT_EQ(installs[1].source, FakeKernel::kNamesHandle);
  EXPECT_EQ(installs[1].badge, pid);
  EXPECT_EQ(installs[1].rights, uint32_t{abi::kRightWrite | abi::kRightTransfer});
  EXPECT_EQ(installs[2].source, FakeKernel::kPmHandle);
  EXPECT_EQ(installs[2].badge, pid);
  EXPECT_EQ(installs[3].source, FakeKernel::kConsoleHandle);
  EXPECT_EQ(installs[3].badge, pid);
  ASSERT_EQ(destination_kernel_.created_objects.size(), 2u);  // one endpoint, one notification
  EXPECT_EQ(installs[4].source, installs[6].source);          // the same fresh endpoint
  EXPECT_EQ(installs[4].value, 0x10005u);
  EXPECT_EQ(installs[6].badge, 42u);
  EXPECT_EQ(installs[6].rights, uint32_t{abi::kRightWrite});
  EXPECT_NE(installs[5].source, installs[4].source);
  for (const auto& install : installs) EXPECT_EQ(install.task, new_task);
  // The thread exists with the state read on the source, not started before commit.
  ASSERT_EQ(destination_kernel_.written.size(), 1u);
  EXPECT_EQ(destination_kernel_.written.begin()->second.rip, 0x401234u);
  EXPECT_EQ(destination_kernel_.written.begin()->second.fs_base, 0x6000u);
  EXPECT_TRUE(destination_kernel_.started.empty());
  // A second copy of the slice is refused.
  EXPECT_EQ(destination_->receive_slice(pid, 33, source_kernel_.sent, &reason).error(),
            Error::kAlreadyExists);

  ASSERT_TRUE(destination_->migrate_commit({pid}, call).ok());
  ASSERT_EQ(destination_kernel_.started.size(), 1u);
  EXPECT_EQ(destination_kernel_.started[0].second, abi::kPriorityDefault);
  EXPECT_NE(destination_->table().find(pid), nullptr);
  EXPECT_EQ(destination_->list({0}, call)->count, 1u);
  EXPECT_EQ(error_of(destination_->migrate_abort({pid}, call)), Error::kBusy);

  ASSERT_TRUE(source_->migrate_release({pid}, call).ok());
  EXPECT_EQ(source_->table().find(pid), nullptr);
  EXPECT_EQ(source_kernel_.killed, std::vector<abi::Handle>{old_task});
  EXPECT_EQ(source_kernel_.forgotten, std::vector<uint64_t>{pid});
  EXPECT_EQ(source_->events().size(), 0u);              // no exit event
  EXPECT_EQ(source_kernel_.signals.back().first, 55u);  // the watcher learns it left
  // The death notification comes later: nothing is reported.
  Call reaper;
  reaper.badge = pm_protocol::kReaperBadge;
  ASSERT_TRUE(source_->reap({~0ull >> 1}, reaper).ok());
  EXPECT_EQ(source_->events().size(), 0u);

  // Live here now: its end is reaped and reported as any process's.
  Process* moved = destination_->table().find(pid);
  destination_kernel_.tasks[moved->task] = {abi::TaskState::kExited, 0, 3, 0, 0, 0};
  ASSERT_TRUE(destination_->reap({destination_->table().death_bit(*moved)}, reaper).ok());
  EXPECT_EQ(destination_->events().size(), 1u);
}

TEST_F(MigrationTest, TheDestinationChecksTheSliceAgainstWhatWasPrepared) {
  uint64_t pid = spawn();
  Call call = system();
  ASSERT_TRUE(destination_->migrate_prepare(prepare_request(pid), call).ok());
  ASSERT_TRUE(source_->migrate_freeze({pid}, call).ok());
  ASSERT_TRUE(source_->migrate_send({pid, 33, 0x0100000a, 0}, call).ok());
  const char* reason = nullptr;
  EXPECT_EQ(destination_->receive_slice(pid, 34, source_kernel_.sent, &reason).error(),
            Error::kInvalidArgument);  // another migration's
  EXPECT_EQ(destination_->receive_slice(pid + 1, 33, source_kernel_.sent, &reason).error(),
            Error::kNotFound);
  std::vector<uint8_t> cut(source_kernel_.sent.begin(), source_kernel_.sent.end() - 1);
  EXPECT_EQ(destination_->receive_slice(pid, 33, cut, &reason).error(), Error::kTruncated);
  EXPECT_STREQ(reason, "slice cut short");
  // Nothing was installed or started: it cannot be committed, only aborted.
  EXPECT_TRUE(destination_kernel_.started.empty());
  EXPECT_EQ(error_of(destination_->migrate_commit({pid}, call)), Error::kBusy);
  ASSERT_TRUE(destination_->migrate_abort({pid}, call).ok());
  // The source thaws it: it runs on.
  ASSERT_TRUE(source_->migrate_thaw({pid}, call).ok());
  EXPECT_EQ(source_->table().find(pid)->migration, Migration::kNone);
}

// A process that talks through ipcm: its session and its ports' objects come from the
// destination's ipcm (which made them from the ipcm slice), its cut direct path stays cut,
// and an object ipcm knows nothing of is made fresh.
TEST_F(MigrationTest, PortsObjectsAndTheSessionComeFromIpcm) {
  uint64_t pid = spawn();
  Process* process = source_->table().find(pid);
  abi::HandleListEntry path = entry(0x10008, abi::ObjectType::kEndpoint, abi::kRightWrite, 3, 777);
  path.flags = abi::kHandleRevoked;
  source_kernel_.listed[process->task].insert(
      source_kernel_.listed[process->task].end(),
      {entry(5, abi::ObjectType::kEndpoint, abi::kRightWrite | abi::kRightTransfer, 9,
             FakeKernel::kIpcmObject),
       entry(0x10005, abi::ObjectType::kNotification, abi::kRightsAll, 0, 900),
       entry(0x10006, abi::ObjectType::kEndpoint, abi::kRightsAll, 0, 901),
       entry(0x10007, abi::ObjectType::kNotification, abi::kRightsAll, 0, 902), path});
  Call call = system();
  Result<pm_protocol::DescribeReply> described = source_->migrate_describe({pid}, call);
  ASSERT_TRUE(described.ok()) << call.reason;
  EXPECT_EQ(described->ipcm_session, 9u);  // migm names it to ipcm
  ASSERT_TRUE(destination_->migrate_prepare(prepare_request(pid), call).ok());
  ASSERT_TRUE(source_->migrate_freeze({pid}, call).ok());
  ASSERT_TRUE(source_->migrate_send({pid, 33, 0x0100000a, 0}, call).ok()) << call.reason;
  destination_kernel_.ipcm_migration = 33;
  destination_kernel_.ipcm_pid = pid;
  destination_kernel_.ipcm_made = {{0, 70}, {900, 71}, {901, 72}};
  const char* reason = nullptr;
  ASSERT_TRUE(destination_->receive_slice(pid, 33, source_kernel_.sent, &reason).ok()) << reason;
  auto installed_at = [&](uint32_t value) -> const FakeKernel::Install* {
    for (const auto& install : destination_kernel_.installs) {
      if (install.value == value) return &install;
    }
    return nullptr;
  };
  ASSERT_NE(installed_at(5), nullptr);
  EXPECT_EQ(installed_at(5)->source, 70u);  // the new session, badged by ipcm
  EXPECT_EQ(installed_at(5)->badge, 0u);
  EXPECT_EQ(installed_at(0x10005)->source, 71u);
  EXPECT_EQ(installed_at(0x10006)->source, 72u);
  EXPECT_EQ(destination_kernel_.created_objects,
            std::vector<abi::ObjectType>{abi::ObjectType::kNotification});  // 902: not a port's
  EXPECT_EQ(installed_at(0x10008), nullptr);
  ASSERT_EQ(destination_kernel_.revoked_installs.size(), 1u);
  EXPECT_EQ(destination_kernel_.revoked_installs[0].second, 0x10008u);
  // pm closes its copies once the process holds its own.
  for (abi::Handle h : {70u, 71u, 72u}) {
    EXPECT_NE(std::find(destination_kernel_.closed.begin(), destination_kernel_.closed.end(), h),
              destination_kernel_.closed.end());
  }
}

TEST_F(MigrationTest, ASessionWithoutIpcmOnTheDestinationIsRefused) {
  uint64_t pid = spawn();
  Process* process = source_->table().find(pid);
  source_kernel_.listed[process->task].push_back(
      entry(5, abi::ObjectType::kEndpoint, abi::kRightWrite, 9, FakeKernel::kIpcmObject));
  Call call = system();
  ASSERT_TRUE(destination_->migrate_prepare(prepare_request(pid), call).ok());
  ASSERT_TRUE(source_->migrate_freeze({pid}, call).ok());
  ASSERT_TRUE(source_->migrate_send({pid, 33, 0x0100000a, 0}, call).ok()) << call.reason;
  const char* reason = nullptr;
  EXPECT_EQ(destination_->receive_slice(pid, 33, source_kernel_.sent, &reason).error(),
            Error::kNotFound);
  EXPECT_STREQ(reason, "this node's ipcm has no session prepared for it");
}

TEST_F(MigrationTest, AConsoleHandleNeedsAConsoleOnTheDestination) {
  give_console(*source_);
  uint64_t pid = spawn();
  Process* process = source_->table().find(pid);
  source_kernel_.listed[process->task].push_back(
      entry(4, abi::ObjectType::kEndpoint, abi::kRightWrite, pid, FakeKernel::kConsoleObject));
  Call call = system();
  ASSERT_TRUE(destination_->migrate_prepare(prepare_request(pid), call).ok());
  ASSERT_TRUE(source_->migrate_freeze({pid}, call).ok());
  ASSERT_TRUE(source_->migrate_send({pid, 33, 0x0100000a, 0}, call).ok()) << call.reason;
  const char* reason = nullptr;
  EXPECT_EQ(destination_->receive_slice(pid, 33, source_kernel_.sent, &reason).error(),
            Error::kNotSupported);
  EXPECT_STREQ(reason, "it writes to a console and this node has none");
}

TEST_F(MigrationTest, ARefusedSlicePassesOnTheReason) {
  uint64_t pid = spawn();
  Call call = system();
  ASSERT_TRUE(source_->migrate_freeze({pid}, call).ok());
  source_kernel_.refuse_slice = true;
  EXPECT_EQ(source_->migrate_send({pid, 33, 0x0100000a, 0}, call).error(), Error::kBadFormat);
  EXPECT_STREQ(call.reason, "destination refuses");
  EXPECT_EQ(source_->table().find(pid)->migration, Migration::kFrozen);  // thaw is still possible
  EXPECT_TRUE(source_->migrate_thaw({pid}, call).ok());
}

TEST_F(MigrationTest, SystemServersStayPut) {
  Call call = system();
  ASSERT_TRUE(source_->adopt({"mm", pm_protocol::make_pid(2, 2)}, call).ok());
  EXPECT_EQ(source_->migrate_describe({pm_protocol::make_pid(2, 2)}, call).error(),
            Error::kNotSupported);
}

}  // namespace
}  // namespace atoll_os::servers::pm
