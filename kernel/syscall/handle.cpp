// System calls: duplicating, restricting, closing, revoking and inspecting handles.
#include "mm/user_access.h"
#include "object/task.h"
#include "syscall/syscall.h"

namespace atoll_os::kernel {

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
  return syscall_result(current_task().handles().revoke(uint32_t(args.a0)));
}

int64_t sys_handle_info(const SyscallArgs& args) {
  auto entry = current_task().handles().lookup(uint32_t(args.a0));
  if (!entry.ok()) return -int64_t(entry.error());
  abi::HandleInfo info{(*entry)->object->type(), (*entry)->rights, (*entry)->badge,
                       (*entry)->object->id()};
  return syscall_result(UserPointer<abi::HandleInfo>(args.a1).write(current_task(), info));
}

}  // namespace atoll_os::kernel
