// MemoryKernel over the real system calls: what mm runs with on a node.
#pragma once

#include "../lib/layout.h"
#include "../lib/task_pages.h"
#include "atoll/user/cstring.h"
#include "atoll/user/syscalls.h"
#include "memory_service.h"

namespace atoll_os::servers::mm {

/// The slice windows in mm's own space: above the scratch page, below the module table, one
/// MiB apart (SliceWindow order: the sender's, the receiver's, then the lazy ones).
inline constexpr uint64_t kSendWindow = kScratchPage + 0x10'0000;
inline constexpr uint64_t kWindowStride = 0x10'0000;
inline constexpr uint64_t kReceiveWindow = kSendWindow + kWindowStride;
static_assert(kSendWindow + kSliceWindows * kWindowStride <= abi::kBootModuleTableAddress);
static_assert(kMaxRunPages * kPageSize <= kWindowStride);

class SyscallMemoryKernel final : public MemoryKernel {
 public:
  /// `self`: mm's own task (kRightsAll); `sender_wakeup`: the migration thread's notification.
  SyscallMemoryKernel(abi::Handle self, abi::Handle sender_wakeup)
      : self_(self), sender_wakeup_(sender_wakeup) {}

  Result<void> map_zeroed(abi::Handle task, uint64_t page, uint32_t flags) override {
    return user::vm_map_zeroed(task, page, 1, flags);
  }
  Result<void> map_copy(abi::Handle task, uint64_t page, uint32_t flags, const uint8_t* source,
                        const PageCopy& copy) override {
    return map_filled_page(self_, task, page, flags, [&](uint8_t* bytes) {
      memcpy(bytes + copy.page_offset, source + copy.source_offset, copy.length);
    });
  }
  void close(abi::Handle handle) override { (void)user::handle_close(handle); }
  Result<abi::MemoryInfo> memory_info() override { return user::memory_info(); }

  // pm's handle to a task carries kRightMemory | kRightTransfer, not kRightDuplicate: the
  // copy is a transfer into mm's own table.
  Result<abi::Handle> duplicate(abi::Handle task) override {
    return user::handle_transfer(self_, task, abi::kRightMemory);
  }
  Result<uint64_t> query(abi::Handle task, uint64_t vaddr, uint64_t pages,
                         uint64_t* bitmap) override {
    return user::vm_query(task, vaddr, pages, bitmap);
  }
  Result<const uint8_t*> borrow(SliceWindow window, abi::Handle task, uint64_t vaddr,
                                uint64_t pages) override {
    TRY(user::vm_share(task, vaddr, self_, address(window), pages, abi::kVmRead));
    return reinterpret_cast<const uint8_t*>(address(window));
  }
  Result<uint8_t*> stage(SliceWindow window, uint64_t pages) override {
    TRY(user::vm_map_zeroed(self_, address(window), pages, abi::kVmWrite));
    return reinterpret_cast<uint8_t*>(address(window));
  }
  Result<void> install(SliceWindow window, abi::Handle task, uint64_t vaddr, uint64_t pages,
                       uint32_t flags) override {
    return user::vm_share(self_, address(window), task, vaddr, pages, flags);
  }
  void release(SliceWindow window, uint64_t pages) override {
    (void)user::vm_unmap(self_, address(window), pages);
  }
  void unmap(abi::Handle task, uint64_t vaddr, uint64_t pages) override {
    (void)user::vm_unmap(task, vaddr, pages);
  }
  Result<uint64_t> take_dirty(abi::Handle task, uint64_t vaddr, uint64_t pages,
                              uint64_t* bitmap) override {
    return user::vm_take_dirty(task, vaddr, pages, bitmap);
  }
  Result<void> wake_sender() override { return user::notification_signal(sender_wakeup_, 1); }
  Result<abi::Handle> create_holder() override {
    return user::task_create(abi::kNoHandle, abi::kNoHandle, 0);
  }
  Result<void> share(abi::Handle from, abi::Handle to, uint64_t vaddr, uint64_t pages) override {
    return user::vm_share(from, vaddr, to, vaddr, pages, abi::kVmRead);
  }
  void destroy_holder(abi::Handle holder) override {
    (void)user::task_kill(holder, 0);
    (void)user::handle_close(holder);
  }
  void wake_lazy() override {
    if (lazy_wakeup_ != abi::kNoHandle) (void)user::notification_signal(lazy_wakeup_, 1);
  }
  /// The notification wake_lazy() signals (mm's lazy thread waits on it).
  void set_lazy_wakeup(abi::Handle notification) { lazy_wakeup_ = notification; }

 private:
  static uint64_t address(SliceWindow window) {
    return kSendWindow + static_cast<uint32_t>(window) * kWindowStride;
  }

  abi::Handle self_;
  abi::Handle sender_wakeup_;
  abi::Handle lazy_wakeup_ = abi::kNoHandle;
};

}  // namespace atoll_os::servers::mm
