// Encoding and bounds-checked decoding of the process slice.
#include "process_slice.h"

#include "../lib/little_endian.h"

namespace atoll_os::servers::pm {
namespace {

namespace pm_protocol = protocols::pm;

constexpr size_t kRegisterCount = 20;  // rax .. gs_base in abi::ThreadState

using Writer = LittleEndianWriter;
using Reader = LittleEndianReader;

bool own_kind(SliceHandleKind kind) {
  return kind == SliceHandleKind::kOwnNotification || kind == SliceHandleKind::kOwnEndpoint;
}

// The rules both ends hold a slice to; nullptr if it keeps them, else what it breaks.
const char* check_record(const ProcessSlice& slice) {
  if (slice.thread_count == 0 || slice.thread_count > kSliceThreadsMax) {
    return "thread count out of range";
  }
  if (slice.handle_count > kSliceHandlesMax) return "handle count out of range";
  if (slice.pid == 0 || pm_protocol::pid_node(slice.pid) > pm_protocol::kMaxNode ||
      pm_protocol::pid_serial(slice.pid) == 0) {
    return "not a valid PID";
  }
  if (slice.priority >= abi::kPriorityCount) return "priority out of range";
  if ((slice.flags & ~uint32_t{pm_protocol::kSpawnPrivileged}) != 0) return "unknown flags";
  if (protocols::text_length(slice.name) >= sizeof(slice.name)) return "name not terminated";
  return nullptr;
}

const char* check_handles(const ProcessSlice& slice) {
  SliceHandleKind object_kinds[kSliceHandlesMax];
  uint32_t objects = 0;
  uint32_t previous = 0;
  for (uint32_t i = 0; i < slice.handle_count; ++i) {
    const SliceHandle& h = slice.handles[i];
    if (h.value == abi::kNoHandle || (i > 0 && h.value <= previous)) {
      return "handle values not increasing";
    }
    previous = h.value;
    if (uint8_t(h.kind) == 0 || uint8_t(h.kind) > kSliceHandleKindLast) {
      return "unknown handle kind";
    }
    if ((h.rights & ~uint32_t{abi::kRightsAll}) != 0) return "unknown handle rights";
    if (!own_kind(h.kind)) {
      if (h.object != 0 || h.badge != 0 || h.source_object != 0) {
        return "object or badge on a server handle";
      }
      continue;
    }
    if (h.source_object == 0) return "own object without its source id";
    if (h.object > objects) return "own objects not numbered in order";
    if (h.object == objects) object_kinds[objects++] = h.kind;
    if (object_kinds[h.object] != h.kind) return "one object of two kinds";
  }
  return nullptr;
}

const char* check(const ProcessSlice& slice) {
  const char* broken = check_record(slice);
  return broken != nullptr ? broken : check_handles(slice);
}

void write_thread(Writer& w, const abi::ThreadState& s) {
  const uint64_t registers[kRegisterCount] = {
      s.rax, s.rbx, s.rcx, s.rdx, s.rsi, s.rdi, s.rbp, s.rsp,    s.r8,      s.r9,
      s.r10, s.r11, s.r12, s.r13, s.r14, s.r15, s.rip, s.rflags, s.fs_base, s.gs_base};
  for (uint64_t r : registers) w.u64(r);
  w.bytes(s.fpu, sizeof(s.fpu));
}

void read_thread(Reader& r, abi::ThreadState& s) {
  s = abi::ThreadState{};
  uint64_t* registers[kRegisterCount] = {
      &s.rax, &s.rbx, &s.rcx, &s.rdx, &s.rsi, &s.rdi, &s.rbp, &s.rsp,    &s.r8,      &s.r9,
      &s.r10, &s.r11, &s.r12, &s.r13, &s.r14, &s.r15, &s.rip, &s.rflags, &s.fs_base, &s.gs_base};
  for (uint64_t* reg : registers) *reg = r.u64();
  r.bytes(s.fpu, sizeof(s.fpu));
}

Result<void> fail(const char** reason, Error error, const char* why) {
  if (reason != nullptr) *reason = why;
  return Err(error);
}

}  // namespace

size_t encoded_size(const ProcessSlice& slice) {
  return kSliceFixedSize + size_t{slice.thread_count} * kThreadStateWireSize +
         size_t{slice.handle_count} * kHandleWireSize;
}

Result<size_t> encode(const ProcessSlice& slice, std::span<uint8_t> out) {
  if (check(slice) != nullptr) return Err(Error::kInvalidArgument);
  if (encoded_size(slice) > out.size()) return Err(Error::kOutOfRange);
  Writer w(out.data());
  w.u32(kProcessSliceFormat);
  w.u32(slice.thread_count);
  w.u32(slice.handle_count);
  w.u32(0);
  w.u64(slice.pid);
  w.u64(slice.parent);
  w.u32(slice.priority);
  w.u32(slice.flags);
  w.bytes(slice.name, sizeof(slice.name));
  for (uint32_t i = 0; i < slice.thread_count; ++i) write_thread(w, slice.threads[i]);
  for (uint32_t i = 0; i < slice.handle_count; ++i) {
    const SliceHandle& h = slice.handles[i];
    w.u32(h.value);
    w.u8(uint8_t(h.kind));
    for (int pad = 0; pad < 3; ++pad) w.u8(0);
    w.u32(h.rights);
    w.u32(h.object);
    w.u64(h.badge);
    w.u64(h.source_object);
  }
  return w.used();
}

Result<void> decode(std::span<const uint8_t> in, ProcessSlice& out, const char** reason) {
  Reader r(in);
  if (r.u32() != kProcessSliceFormat) {
    return r.ok() ? fail(reason, Error::kBadFormat, "unknown slice format")
                  : fail(reason, Error::kTruncated, "slice cut short");
  }
  out.thread_count = r.u32();
  out.handle_count = r.u32();
  uint32_t reserved = r.u32();
  out.pid = r.u64();
  out.parent = r.u64();
  out.priority = r.u32();
  out.flags = r.u32();
  r.bytes(out.name, sizeof(out.name));
  if (!r.ok()) return fail(reason, Error::kTruncated, "slice cut short");
  if (reserved != 0) return fail(reason, Error::kBadFormat, "reserved field set");
  // The counts are checked before they size any loop.
  if (const char* broken = check_record(out)) return fail(reason, Error::kBadFormat, broken);
  for (uint32_t i = 0; i < out.thread_count; ++i) read_thread(r, out.threads[i]);
  for (uint32_t i = 0; i < out.handle_count; ++i) {
    SliceHandle& h = out.handles[i];
    h.value = r.u32();
    h.kind = SliceHandleKind(r.u8());
    uint8_t pad = r.u8() | r.u8() | r.u8();
    h.rights = r.u32();
    h.object = r.u32();
    h.badge = r.u64();
    h.source_object = r.u64();
    if (pad != 0) return fail(reason, Error::kBadFormat, "reserved field set");
  }
  if (!r.ok()) return fail(reason, Error::kTruncated, "slice cut short");
  if (r.remaining() != 0) return fail(reason, Error::kBadFormat, "bytes after the slice");
  if (const char* broken = check_handles(out)) return fail(reason, Error::kBadFormat, broken);
  return success();
}

}  // namespace atoll_os::servers::pm
