// System calls: duplicating, restricting, closing, revoking and inspecting handles, and
// moving them into other tasks.
#include "mm/user_access.h"
#include "object/endpoint.h"
#include "object/task.h"
#include "syscall/syscall.h"

namespace atoll_os::kernel {
namespace {

// A copy of the caller's handle `h` with `rights` is to go into another task: the target
// task (control right, alive) and the source entry (transfer right, rights a subset).
struct HandleCopy {
  Task* task;
  HandleEntry* source;
};

Result<HandleCopy> check_handle_copy(uint64_t task_handle, uint64_t h, uint64_t rights) {
  HandleTable& table = current_task().handles();
  auto task = table.lookup(uint32_t(task_handle), abi::ObjectType::kTask, abi::kRightControl);
  if (!task.ok()) return Err(task.error());
  if (task_handle > UINT32_MAX) return Err(Error::kBadHandle);
  auto entry = table.lookup(uint32_t(h));
  if (!entry.ok() || h > UINT32_MAX) return Err(Error::kBadHandle);
  HandleEntry& e = **entry;
  if (!(e.rights & abi::kRightTransfer)) return Err(Error::kAccessDenied);
  if (rights > UINT32_MAX || (rights & ~uint64_t(e.rights)) != 0) return Err(Error::kAccessDenied);
  auto* target = static_cast<Task*>((*task)->object);
  if (!target->alive()) return Err(Error::kBadHandle);
  return HandleCopy{target, &e};
}

}  // namespace

int64_t sys_handle_duplicate(const SyscallArgs& args) {
  HandleTable& table = current_task().handles();
  auto entry = table.lookup(args.a0);
  if (!entry.ok()) return -int64_t(entry.error());
  HandleEntry& e = **entry;
  uint32_t rights = uint32_t(args.a1);
  if (!(e.rights & abi::kRightDuplicate)) return -int64_t(Error::kAccessDenied);
  if (args.a1 > UINT32_MAX || (rights & ~e.rights) != 0) return -int64_t(Error::kAccessDenied);
  uint64_t badge = args.a2;
  if (e.badge != 0 && badge != 0 && badge != e.badge) return -int64_t(Error::kAccessDenied);
  if (badge == 0) badge = e.badge;
  return syscall_result(table.add(e.object, rights, badge, e.node));
}

int64_t sys_handle_close(const SyscallArgs& args) {
  return syscall_result(current_task().handles().remove(uint32_t(args.a0)));
}

int64_t sys_handle_revoke(const SyscallArgs& args) {
  auto entry = current_task().handles().lookup(uint32_t(args.a0));
  if (!entry.ok()) return -int64_t(entry.error());
  KernelObject* object = (*entry)->object;
  if (auto revoked = current_task().handles().revoke(uint32_t(args.a0)); !revoked.ok()) {
    return syscall_result(revoked);
  }
  // Callers queued through a revoked copy learn now that their path is gone.
  if (object->type() == abi::ObjectType::kEndpoint) {
    static_cast<Endpoint*>(object)->cancel_revoked_senders();
  }
  return 0;
}

int64_t sys_handle_info(const SyscallArgs& args) {
  auto entry = current_task().handles().lookup(uint32_t(args.a0));
  if (!entry.ok()) return -int64_t(entry.error());
  abi::HandleInfo info{(*entry)->object->type(), (*entry)->rights, (*entry)->badge,
                       (*entry)->object->id()};
  return syscall_result(UserPointer<abi::HandleInfo>(args.a1).write(current_task(), info));
}

int64_t sys_handle_transfer(const SyscallArgs& args) {
  auto copy = check_handle_copy(args.a0, args.a1, args.a2);
  if (!copy.ok()) return -int64_t(copy.error());
  HandleEntry& e = *copy->source;
  return syscall_result(copy->task->handles().add(e.object, uint32_t(args.a2), e.badge, e.node));
}

// The revocation parent is the source's node, as for handle_transfer: revoking the
// caller's handle cuts the installed copy too.
int64_t sys_handle_install(const SyscallArgs& args) {
  auto copy = check_handle_copy(args.a0, args.a1, args.a2);
  if (!copy.ok()) return -int64_t(copy.error());
  if (args.a3 > UINT32_MAX) return -int64_t(Error::kInvalidArgument);
  HandleEntry& e = *copy->source;
  return syscall_result(
      copy->task->handles().add_at(Handle(args.a3), e.object, uint32_t(args.a2), e.badge, e.node));
}

int64_t sys_task_handles(const SyscallArgs& args) {
  auto task = current_task().handles().lookup(uint32_t(args.a0), abi::ObjectType::kTask,
                                              abi::kRightControl);
  if (!task.ok() || args.a0 > UINT32_MAX)
    return -int64_t(task.ok() ? Error::kBadHandle : task.error());
  if (args.a1 > UINT32_MAX || args.a3 > abi::kTaskHandlesMax)
    return -int64_t(Error::kInvalidArgument);
  abi::HandleListEntry entries[abi::kTaskHandlesMax];
  auto* target = static_cast<Task*>((*task)->object);
  size_t count = target->handles().list(Handle(args.a1), entries, args.a3);
  auto copied = copy_to_user(current_task(), args.a2, entries, count * sizeof(entries[0]));
  if (!copied.ok()) return -int64_t(copied.error());
  return int64_t(count);
}

}  // namespace atoll_os::kernel
