// mm's protocol handlers and fault resolution.
#include "memory_service.h"

#include "../lib/boot_modules.h"

namespace atoll_os::servers::mm {
namespace {

using protocols::Call;
using protocols::Empty;
using protocols::kSystemBadge;
using protocols::mm::SliceState;
using protocols::mm::SliceStatus;

Result<void> require_system(Call& call) {
  if (call.badge != kSystemBadge) return call.fail(Error::kAccessDenied, "mm serves pm only");
  return success();
}

// The kernel reads only the label of a pager's reply.
void answer_fault(abi::Message& message, uint64_t label) {
  message.header.label = label;
  message.header.length = 0;
  message.header.handle_count = 0;
  message.header.flags = 0;
}

}  // namespace

// The defaults of the migration primitives: a kernel seam that moves no slices.
Result<abi::Handle> MemoryKernel::duplicate(abi::Handle) {
  return Err(Error::kNotSupported);
}
Result<uint64_t> MemoryKernel::query(abi::Handle, uint64_t, uint64_t, uint64_t*) {
  return Err(Error::kNotSupported);
}
Result<const uint8_t*> MemoryKernel::borrow(SliceWindow, abi::Handle, uint64_t, uint64_t) {
  return Err(Error::kNotSupported);
}
Result<uint8_t*> MemoryKernel::stage(SliceWindow, uint64_t) {
  return Err(Error::kNotSupported);
}
Result<void> MemoryKernel::install(SliceWindow, abi::Handle, uint64_t, uint64_t, uint32_t) {
  return Err(Error::kNotSupported);
}
void MemoryKernel::release(SliceWindow, uint64_t) {}
void MemoryKernel::unmap(abi::Handle, uint64_t, uint64_t) {}
Result<void> MemoryKernel::wake_sender() {
  return Err(Error::kNotSupported);
}
Result<uint64_t> MemoryKernel::take_dirty(abi::Handle, uint64_t, uint64_t, uint64_t*) {
  return Err(Error::kNotSupported);
}
Result<abi::Handle> MemoryKernel::create_holder() {
  return Err(Error::kNotSupported);
}
Result<void> MemoryKernel::share(abi::Handle, abi::Handle, uint64_t, uint64_t) {
  return Err(Error::kNotSupported);
}
void MemoryKernel::destroy_holder(abi::Handle) {}
void MemoryKernel::wake_lazy() {}

AddressSpace* MemoryService::find(uint64_t pid) {
  for (size_t i = 0; i < kMaxSpaces; ++i) {
    if (used_[i] && spaces_[i].pid() == pid) return &spaces_[i];
  }
  return nullptr;
}

uint64_t MemoryService::module_size(uint32_t index) const {
  if (modules_ == nullptr) return 0;
  Result<Module> module = module_at(*modules_, index);
  return module.ok() ? module->bytes.size() : 0;
}

Result<Empty> MemoryService::create_space(const protocols::mm::CreateSpaceRequest& request,
                                          Call& call) {
  TRY(require_system(call));
  if (call.received.count != 1) return call.fail(Error::kInvalidArgument, "no task handle");
  if (find(request.pid) != nullptr) return call.fail(Error::kAlreadyExists, "pid has a space");
  for (size_t i = 0; i < kMaxSpaces; ++i) {
    if (used_[i]) continue;
    uint64_t quota = request.page_quota != 0 ? request.page_quota : kDefaultPageQuota;
    spaces_[i] = AddressSpace(request.pid, call.received.take(0), quota);
    used_[i] = true;
    ++space_count_;
    return Empty{};
  }
  return call.fail(Error::kOutOfMemory, "space table full");
}

Result<Empty> MemoryService::add_region(const protocols::mm::RegionRequest& request, Call& call) {
  TRY(require_system(call));
  AddressSpace* space = find(request.pid);
  if (space == nullptr) return call.fail(Error::kNotFound, "no space for pid");
  uint64_t size =
      request.kind == protocols::mm::RegionKind::kImage ? module_size(request.module) : 0;
  Result<void> added = space->add_region(request, size);
  if (!added.ok()) return call.fail(added.error(), "region refused");
  return Empty{};
}

Result<protocols::mm::DestroyReply> MemoryService::destroy_space(
    const protocols::mm::PidRequest& request, Call& call) {
  TRY(require_system(call));
  for (size_t i = 0; i < kMaxSpaces; ++i) {
    if (!used_[i] || spaces_[i].pid() != request.pid) continue;
    // The kernel frees the frames when the task dies; pm calls this after that, so closing
    // our handle is all that is left (it lets the task object go).
    protocols::mm::DestroyReply reply{spaces_[i].info().resident_pages};
    // Pages still at a lazy migration's source: the lazy thread tells it to free them.
    if (size_t slot = lazy_.find(request.pid); slot != kMaxLazySpaces) {
      lazy_.slot(slot).ending = true;
      kernel_.wake_lazy();
    }
    kernel_.close(spaces_[i].task());
    spaces_[i] = AddressSpace();
    used_[i] = false;
    --space_count_;
    return reply;
  }
  return call.fail(Error::kNotFound, "no space for pid");
}

Result<protocols::mm::SpaceInfo> MemoryService::space_info(const protocols::mm::PidRequest& request,
                                                           Call& call) {
  TRY(require_system(call));
  AddressSpace* space = find(request.pid);
  if (space == nullptr) return call.fail(Error::kNotFound, "no space for pid");
  return space->info();
}

Result<protocols::mm::Stats> MemoryService::stats(const Empty&, Call& call) {
  TRY(require_system(call));
  protocols::mm::Stats stats{};
  stats.kernel = TRY(kernel_.memory_info());
  stats.spaces = space_count_;
  for (size_t i = 0; i < kMaxSpaces; ++i) {
    if (used_[i]) stats.resident_pages += spaces_[i].info().resident_pages;
  }
  stats.faults_resolved = faults_resolved_;
  stats.faults_refused = faults_refused_;
  return stats;
}

Result<Empty> MemoryService::space_send(const protocols::mm::SpaceSendRequest& request,
                                        Call& call) {
  TRY(require_system(call));
  if (send_pending_ || send_running_) return call.fail(Error::kBusy, "a send is running");
  if (request.mode > protocols::mm::SendMode::kStoreDrop || request.reserved != 0) {
    return call.fail(Error::kInvalidArgument, "unknown send mode");
  }
  if (uses_store(request.mode) != (request.store_ip != 0)) {
    return call.fail(Error::kInvalidArgument, "a page store for its modes only");
  }
  AddressSpace* space = find(request.pid);
  if (space == nullptr) return call.fail(Error::kNotFound, "no space for pid");
  Result<abi::Handle> task = kernel_.duplicate(space->task());
  if (!task.ok()) return call.fail(task.error(), "cannot hold the task");
  if (Result<void> woken = kernel_.wake_sender(); !woken.ok()) {
    kernel_.close(*task);
    return call.fail(woken.error(), "no migration thread");
  }
  pending_send_ = SendJob{request, *space, *task, call.received.take(0)};
  send_pending_ = true;
  SliceStatus& status = sends_[next_send_++ % kSendHistory];
  status = SliceStatus{};
  status.state = SliceState::kRunning;
  status.migration_id = request.migration_id;
  return Empty{};
}

Result<SliceStatus> MemoryService::space_send_status(const protocols::mm::MigrationRequest& request,
                                                     Call& call) {
  TRY(require_system(call));
  SliceStatus* status = send_status(request.migration_id);
  if (status != nullptr) return *status;
  SliceStatus unknown{};
  unknown.migration_id = request.migration_id;
  return unknown;  // kNone
}

Result<protocols::mm::ResidualStatus> MemoryService::residual_status(
    const protocols::mm::MigrationRequest& request, Call& call) {
  TRY(require_system(call));
  return residuals_.status(request.migration_id, now_ns());
}

Result<Empty> MemoryService::residual_end(const protocols::mm::MigrationRequest& request,
                                          Call& call) {
  TRY(require_system(call));
  Residual* residual = residuals_.find(request.migration_id);
  if (residual == nullptr) return call.fail(Error::kNotFound, "no pages kept for that id");
  residual->final = true;  // undone before commit: no destination will ask
  abi::Handle holder = residuals_.finish(*residual, now_ns());
  if (holder != abi::kNoHandle) kernel_.destroy_holder(holder);
  return Empty{};
}

namespace {

constexpr size_t kDirtyChunkPages = 4096;        // one take_dirty call's bitmap (512 bytes)
uint64_t g_dirty_bitmap[kDirtyChunkPages / 64];  // the main loop's

// Pages whose dirty bit is set in [start, end), clearing them.
Result<uint64_t> take_dirty_count(MemoryKernel& kernel, abi::Handle task, uint64_t start,
                                  uint64_t end) {
  uint64_t dirty = 0;
  for (uint64_t at = start; at < end;) {
    uint64_t left = (end - at) / kSlicePageBytes;
    uint64_t pages = left < kDirtyChunkPages ? left : kDirtyChunkPages;
    dirty += TRY(kernel.take_dirty(task, at, pages, g_dirty_bitmap));
    at += pages * kSlicePageBytes;
  }
  return dirty;
}

}  // namespace

Result<protocols::mm::DirtySample> MemoryService::dirty_sample(
    const protocols::mm::PidRequest& request, Call& call) {
  TRY(require_system(call));
  AddressSpace* space = find(request.pid);
  if (space == nullptr) return call.fail(Error::kNotFound, "no space for pid");
  // The sender takes the same bits for precopy's rounds: one taker at a time.
  if (send_pending_ || send_running_) return call.fail(Error::kBusy, "a send is running");
  protocols::mm::DirtySample sample{};
  sample.resident_pages = space->info().resident_pages;
  for (size_t i = 0; i < space->region_count(); ++i) {
    const Region& region = space->region(i);
    sample.region_pages += (region.end - region.start) / kSlicePageBytes;
    Result<uint64_t> dirty = take_dirty_count(kernel_, space->task(), region.start, region.end);
    if (!dirty.ok()) return call.fail(dirty.error(), "cannot read the dirty bits");
    sample.dirty_pages += *dirty;
  }
  return sample;
}

Result<void> MemoryService::open_lazy(uint64_t pid, uint64_t migration_id, uint32_t source_ip,
                                      bool push, const PageRun* runs, size_t run_count,
                                      bool store) {
  AddressSpace* space = find(pid);
  if (space == nullptr) return Err(Error::kNotFound);
  abi::Handle task = TRY(kernel_.duplicate(space->task()));
  Result<size_t> slot = lazy_.open(pid, migration_id, source_ip, push, task, runs, run_count);
  if (!slot.ok()) {
    kernel_.close(task);
    return Err(slot.error());
  }
  lazy_.slot(*slot).store = store;
  if (store) kernel_.wake_lazy();  // nothing may be missing: the store is dropped at once
  return success();
}

void MemoryService::note_arrived(uint64_t pid, uint64_t pages) {
  if (AddressSpace* space = find(pid); space != nullptr) space->note_received(pages);
}

FaultOutcome MemoryService::finish_remote_fault(abi::Message& message, const FaultOutcome& pending,
                                                bool fetched, const char* why) {
  FaultOutcome outcome = pending;
  outcome.remote = false;
  AddressSpace* space = find(pending.pid);
  if (fetched && space != nullptr) {
    space->note_fault_resolved();
    ++faults_resolved_;
    outcome.resolved = true;
    answer_fault(message, abi::kLabelFaultResolved);
    return outcome;
  }
  outcome.reason = why;
  if (space != nullptr) space->note_refused(pending.address);
  ++faults_refused_;
  answer_fault(message, abi::kLabelFaultRefused);
  return outcome;
}

SliceStatus* MemoryService::send_status(uint64_t migration_id) {
  // Newest first: an id migm reuses answers for its latest send.
  for (size_t i = 1; i <= kSendHistory && i <= next_send_; ++i) {
    SliceStatus& status = sends_[(next_send_ - i) % kSendHistory];
    if (status.migration_id == migration_id && status.state != SliceState::kNone) return &status;
  }
  return nullptr;
}

bool MemoryService::take_send(SendJob& job) {
  if (!send_pending_) return false;
  job = pending_send_;
  send_pending_ = false;
  send_running_ = true;
  return true;
}

void MemoryService::finish_send(const SliceStatus& status) {
  send_running_ = false;
  if (SliceStatus* slot = send_status(status.migration_id); slot != nullptr) *slot = status;
}

Result<ReceiveTarget> MemoryService::prepare_receive(uint64_t pid, SliceError* refusal) {
  AddressSpace* space = find(pid);
  if (space == nullptr) {
    *refusal = {Error::kNotFound, "no space prepared for the pid"};
    return Err(Error::kNotFound);
  }
  Result<abi::Handle> task = kernel_.duplicate(space->task());
  if (!task.ok()) {
    *refusal = {task.error(), "cannot hold the prepared task"};
    return Err(task.error());
  }
  return ReceiveTarget{*space, *task, space->region_count(), space->resident_pages()};
}

Result<void> MemoryService::commit_receive(const ReceiveTarget& target, SliceError* refusal) {
  const AddressSpace& filled = target.space;
  AddressSpace* space = find(filled.pid());
  // A destroy (and a new create_space) while the slice came in: that space is not ours.
  if (space == nullptr || space->task() != filled.task() ||
      space->region_count() != target.regions_before ||
      space->resident_pages() != target.pages_before) {
    *refusal = {Error::kNotFound, "the prepared space went away during the transfer"};
    return Err(Error::kNotFound);
  }
  *space = filled;
  return success();
}

Result<void> MemoryService::resolve(AddressSpace& space, const FaultPlan& plan) {
  if (!plan.from_module) return kernel_.map_zeroed(space.task(), plan.page, plan.flags);
  if (modules_ == nullptr) return Err(Error::kNotFound);
  Module module = TRY(module_at(*modules_, plan.module));
  return kernel_.map_copy(space.task(), plan.page, plan.flags, module.bytes.data(), plan.copy);
}

FaultOutcome MemoryService::handle_fault(abi::Message& message) {
  FaultOutcome outcome{false, message.header.badge, 0, nullptr};
  AddressSpace* space = find(message.header.badge);
  if (space == nullptr || message.header.length != sizeof(abi::PageFault)) {
    outcome.reason = space == nullptr ? "no space for the faulting task" : "malformed fault";
    ++faults_refused_;
    answer_fault(message, abi::kLabelFaultRefused);
    return outcome;
  }
  abi::PageFault fault;
  __builtin_memcpy(&fault, message.payload, sizeof(fault));
  outcome.address = fault.address;
  FaultDecision decision = space->decide(fault);
  if (size_t slot = lazy_.find(space->pid()); decision.resolve && slot != kMaxLazySpaces &&
                                              lazy_.slot(slot).map.missing(decision.plan.page)) {
    if (!lazy_.slot(slot).broken) {
      LazySpace& lazy = lazy_.slot(slot);
      if (lazy.push && !lazy.pushing) {  // it runs here: the background stream may start
        lazy.pushing = true;
        kernel_.wake_lazy();
      }
      outcome.remote = true;  // answered by finish_remote_fault
      outcome.lazy_slot = slot;
      outcome.address = decision.plan.page;
      return outcome;
    }
    decision.resolve = false;
    outcome.reason = "its page is at the source, which failed";
    space->note_refused(fault.address);
    ++faults_refused_;
    answer_fault(message, abi::kLabelFaultRefused);
    return outcome;
  }
  if (decision.resolve) {
    Result<void> mapped = resolve(*space, decision.plan);
    // kAlreadyExists: another thread of the task faulted on the same page first; the
    // access succeeds when retried and the page is counted already.
    if (mapped.ok() || mapped.error() == Error::kAlreadyExists) {
      if (mapped.ok()) space->note_resolved();
      ++faults_resolved_;
      outcome.resolved = true;
      answer_fault(message, abi::kLabelFaultResolved);
      return outcome;
    }
    outcome.reason = error_name(mapped.error());  // out of frames, typically
  } else {
    outcome.reason = refusal_name(decision.refusal);
  }
  space->note_refused(fault.address);
  ++faults_refused_;
  answer_fault(message, abi::kLabelFaultRefused);
  return outcome;
}

}  // namespace atoll_os::servers::mm
