// The steps of building a process, each undone if a later one fails.
#include "process_builder.h"

#include "atoll/abi/process.h"
#include "atoll/elf.h"
#include "atoll/user/cstring.h"
#include "atoll/user/syscalls.h"
#include "boot_modules.h"
#include "region_plan.h"
#include "start_arguments.h"
#include "task_pages.h"

namespace atoll_os::servers {
namespace {

using user::handle_close;

// Gives `task` a copy of `handle`; its value in the task's table, or kNoHandle if none.
Result<abi::Handle> give(abi::Handle task, const StartHandle& handle) {
  if (handle.source == abi::kNoHandle) return abi::kNoHandle;
  if (handle.badge == 0) return user::handle_transfer(task, handle.source, handle.rights);
  // The badged copy is ours for a moment: it needs kRightTransfer, the task's copy not.
  abi::Handle badged =
      TRY(user::handle_duplicate(handle.source, handle.rights | abi::kRightTransfer, handle.badge));
  Result<abi::Handle> given = user::handle_transfer(task, badged, handle.rights);
  (void)handle_close(badged);
  return given;
}

// The ProcessStart page's content: identity, handles, arguments.
Result<void> fill_start(abi::Handle task, const ProcessSpec& spec, abi::ProcessStart& start,
                        const char** reason) {
  start.magic = abi::kProcessStartMagic;
  start.pid = spec.pid;
  start.node = spec.node;
  *reason = "could not give the process its handles";
  start.self_task = TRY(give(task, {task, spec.self_task_rights, 0}));
  start.names = TRY(give(task, spec.names));
  start.process_manager = TRY(give(task, spec.process_manager));
  start.console = TRY(give(task, spec.console));
  *reason = "arguments do not fit or are malformed";
  ArgumentWriter arguments(start);
  TRY(arguments.add(spec.module));
  TRY(arguments.add_packed(spec.arguments, spec.argument_bytes, spec.argument_count));
  for (size_t i = 0; i < spec.capability_count; ++i) {
    const StartCapability& capability = spec.capabilities[i];
    *reason = "could not give the process a capability";
    abi::Handle value = TRY(give(task, capability.handle));
    *reason = "arguments do not fit or are malformed";
    TRY(arguments.add_capability(capability.name, value));
  }
  return success();
}

// Everything after the task exists: its space at mm, the start page, the first thread.
Result<abi::Handle> populate(abi::Handle self, protocols::mm::Client& mm, abi::Handle task,
                             const ProcessSpec& spec, const elf::Image& image, uint32_t module,
                             const char** reason) {
  *reason = "mm refused the space";
  abi::Handle for_mm = TRY(user::handle_duplicate(task, abi::kRightMemory | abi::kRightTransfer));
  protocols::HandleSet handles;
  handles.add(for_mm);
  TRY(mm.create_space({spec.pid, spec.page_quota}, &handles));
  *reason = "mm refused a region";
  RegionPlan plan = plan_regions(spec.pid, image, module);
  for (size_t i = 0; i < plan.count; ++i) TRY(mm.add_region(plan.regions[i]));
  TRY(write_start_page(self, task, spec, reason));
  *reason = "could not create the first thread";
  abi::Handle thread =
      TRY(user::thread_create(task, image.entry, abi::kUserStackTop, abi::kProcessStartAddress));
  if (!spec.start_thread) return thread;
  if (Result<void> started = user::thread_start(thread, spec.priority); !started.ok()) {
    (void)handle_close(thread);
    return Err(started.error());
  }
  return thread;
}

}  // namespace

Result<void> write_start_page(abi::Handle self, abi::Handle task, const ProcessSpec& spec,
                              const char** reason) {
  abi::ProcessStart start{};
  TRY(fill_start(task, spec, start, reason));
  *reason = "could not map the start page";
  return map_filled_page(self, task, abi::kProcessStartAddress, abi::kVmRead,
                         [&](uint8_t* page) { memcpy(page, &start, sizeof(start)); });
}

Result<BuiltProcess> build_process(abi::Handle self, protocols::mm::Client& mm,
                                   const ProcessSpec& spec, const char** reason) {
  *reason = "no such module";
  if (spec.modules == nullptr) return Err(Error::kNotFound);
  Module module = TRY(find_module(*spec.modules, spec.module));
  *reason = "not an executable this system runs";
  elf::Image image = TRY(elf::parse_executable(module.bytes, kImageLimits));
  *reason = "could not create the task";
  // The task keeps the endpoint and badge of the pager handle, not the handle itself.
  abi::Handle pager = TRY(user::handle_duplicate(spec.pager_source, abi::kRightWrite, spec.pid));
  Result<abi::Handle> task = user::task_create(pager, spec.death_notification, spec.death_bits);
  (void)handle_close(pager);
  if (!task.ok()) return Err(task.error());
  Result<abi::Handle> thread = populate(self, mm, *task, spec, image, module.index, reason);
  if (!thread.ok()) {
    (void)user::task_kill(*task, -1);
    (void)mm.destroy_space({spec.pid});  // kNotFound if it never got that far: fine
    (void)handle_close(*task);
    return Err(thread.error());
  }
  return BuiltProcess{*task, *thread};
}

}  // namespace atoll_os::servers
