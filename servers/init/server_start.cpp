// init's boot steps, each a few system calls or one call to mm or pm.
#include "server_start.h"

#include "../lib/boot_modules.h"
#include "../lib/process_builder.h"
#include "../lib/start_arguments.h"
#include "atoll/abi/process.h"
#include "atoll/user/print.h"
#include "atoll/user/syscalls.h"
#include "eager_loader.h"
#include "lib/command_line.h"

namespace atoll_os::servers::init {
namespace {

namespace pm_protocol = protocols::pm;
using protocols::kSystemBadge;

// Every right an endpoint handle can carry (control and memory mean nothing for one).
constexpr uint32_t kEndpointRights =
    abi::kRightRead | abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer;

// mm has no pager: this is all the heap and stack it will ever have. Its tables are static
// (in the image); the heap only holds argv and the odd long print.
constexpr EagerMemory kMmMemory{64, 16};

uint64_t pid_of(const Boot& boot, uint64_t serial) {
  return pm_protocol::make_pid(boot.node, serial);
}

// A copy of `h` with every right it has, to move into a message.
Result<abi::Handle> duplicate_whole(abi::Handle h) {
  abi::HandleInfo info = TRY(user::handle_info(h));
  return user::handle_duplicate(h, info.rights);
}

constexpr size_t kResolvedArgumentMax = 96;

// A copy of `h` for pm's adopt: enough to read status and CPU time, nothing to control.
abi::Handle observer(abi::Handle h) {
  return user::handle_duplicate(h, abi::kRightRead | abi::kRightTransfer).value_or(0);
}

Result<abi::Handle> capability_handle(const Boot& boot, const ManifestCapability& capability) {
  switch (capability.kind) {
    case CapabilityKind::kIoPorts: return duplicate_whole(abi::kBootIoPorts);
    case CapabilityKind::kIrq: return duplicate_whole(abi::kBootIrqBase + capability.irq);
    case CapabilityKind::kDma: return duplicate_whole(abi::kBootDma);
    case CapabilityKind::kNamesEndpoint:
      return user::handle_duplicate(boot.names_endpoint, abi::kRightRead | abi::kRightTransfer);
    case CapabilityKind::kMmEndpoint:  // a system-badged copy: mm's migration operations
      return user::handle_duplicate(boot.mm_endpoint, abi::kRightWrite | abi::kRightTransfer,
                                    kSystemBadge);
    case CapabilityKind::kIpcmService:
      return user::handle_duplicate(boot.ipcm_endpoint, kEndpointRights);
    case CapabilityKind::kIpcmEndpoint:  // a system-badged copy: ipcm's migration operations
      return user::handle_duplicate(boot.ipcm_endpoint, abi::kRightWrite | abi::kRightTransfer,
                                    kSystemBadge);
  }
  return Err(Error::kInvalidArgument);
}

}  // namespace

Result<void> create_endpoints(Boot& boot) {
  boot.deaths = TRY(user::notification_create());
  boot.mm_endpoint = TRY(user::endpoint_create());
  boot.pm_endpoint = TRY(user::endpoint_create());
  boot.names_endpoint = TRY(user::endpoint_create());
  boot.ipcm_endpoint = TRY(user::endpoint_create());
  abi::Handle mm = TRY(user::handle_duplicate(boot.mm_endpoint, abi::kRightWrite, kSystemBadge));
  abi::Handle pm = TRY(user::handle_duplicate(boot.pm_endpoint, abi::kRightWrite, kSystemBadge));
  boot.mm_client = protocols::mm::Client(mm);
  boot.pm_client = protocols::pm::Client(pm);
  return success();
}

Result<void> start_mm(Boot& boot, const char** reason) {
  ProcessSpec spec;
  spec.pid = pid_of(boot, boot.mm.serial);
  spec.node = boot.node;
  spec.modules = boot.table;
  spec.module = "mm";
  spec.death_notification = boot.deaths;
  spec.death_bits = boot.mm.death_bit;
  spec.self_task_rights = abi::kRightsAll;  // memory rights: it maps its scratch page
  // The name service, badged with mm's PID: mm finds net through it to move migration slices.
  spec.names = {boot.names_endpoint, abi::kRightWrite, spec.pid};
  spec.capabilities[spec.capability_count++] = {"endpoint", {boot.mm_endpoint, abi::kRightRead}};
  EagerProcess mm = TRY(load_eager(abi::kBootSelfTask, spec, kMmMemory, reason));
  boot.mm.task = mm.task;
  boot.mm.thread = mm.thread;
  *reason = "could not start its thread";
  return user::thread_start(mm.thread, kPagerPriority);
}

Result<void> start_pm(Boot& boot, const char** reason) {
  ProcessSpec spec;
  spec.pid = pid_of(boot, boot.pm.serial);
  spec.node = boot.node;
  spec.modules = boot.table;
  spec.module = "pm";
  spec.pager_source = boot.mm_endpoint;
  spec.death_notification = boot.deaths;
  spec.death_bits = boot.pm.death_bit;
  spec.priority = kServerPriority;
  spec.self_task_rights = abi::kRightsAll;  // it maps start pages and makes a reaper thread
  spec.names = {boot.names_endpoint, abi::kRightWrite | abi::kRightDuplicate | abi::kRightTransfer};
  spec.process_manager = {boot.pm_endpoint, kEndpointRights};
  spec.capabilities[spec.capability_count++] = {"mm",
                                                {boot.mm_endpoint, abi::kRightWrite, kSystemBadge}};
  spec.capabilities[spec.capability_count++] = {
      "pager", {boot.mm_endpoint, abi::kRightWrite | abi::kRightDuplicate}};
  // ipcm's migration operations: pm installs the ipcm slice's objects in a migrated process.
  spec.capabilities[spec.capability_count++] = {
      "ipcm", {boot.ipcm_endpoint, abi::kRightWrite, kSystemBadge}};
  spec.start_thread = false;  // the modules must be in place before it runs
  BuiltProcess pm = TRY(build_process(abi::kBootSelfTask, boot.mm_client, spec, reason));
  boot.pm.task = pm.task;
  boot.pm.thread = pm.thread;
  *reason = "could not share the boot modules";
  TRY(share_boot_modules(abi::kBootSelfTask, pm.task, *boot.table));
  *reason = "could not start its thread";
  return user::thread_start(pm.thread, kServerPriority);
}

void adopt_core_servers(Boot& boot) {
  struct Adoption {
    const char* name;
    uint64_t serial;
    abi::Handle task;
    abi::Handle thread;
  };
  const Adoption adoptions[] = {
      {"init", pm_protocol::kInitSerial, abi::kBootSelfTask, abi::kBootSelfThread},
      {"mm", boot.mm.serial, boot.mm.task, boot.mm.thread},
      {"pm", boot.pm.serial, boot.pm.task, boot.pm.thread},
  };
  for (const Adoption& adoption : adoptions) {
    pm_protocol::AdoptRequest request{};
    protocols::set_text(request.name, adoption.name, __builtin_strlen(adoption.name));
    request.pid = pid_of(boot, adoption.serial);
    protocols::HandleSet handles;
    handles.add(observer(adoption.task));
    handles.add(observer(adoption.thread));
    if (!boot.pm_client.adopt(request, &handles).ok()) {
      user::print("init: pm did not adopt %s: %s\n", adoption.name, boot.pm_client.last_reason());
    }
  }
}

// The arguments as the server gets them: `$KEY` becomes `KEY=VALUE` from the kernel command
// line (`KEY` alone for a bare flag) and is left out when the command line lacks KEY.
size_t resolve_arguments(const Boot& boot, const ManifestEntry& entry, std::string_view* out,
                         char (*storage)[kResolvedArgumentMax]) {
  Result<kernel::CommandLine> line = kernel::CommandLine::parse(command_line(*boot.table));
  size_t count = 0;
  for (size_t i = 0; i < entry.argument_count; ++i) {
    std::string_view argument = entry.arguments[i];
    if (argument[0] != '$') {
      out[count++] = argument;
      continue;
    }
    std::string_view key = argument.substr(1);
    if (!line.ok() || !line->has(key)) continue;
    std::string_view value = line->value(key).value_or(std::string_view());
    size_t length = key.size() + (value.empty() ? 0 : 1 + value.size());
    if (length >= kResolvedArgumentMax) continue;
    char* text = storage[count];
    __builtin_memcpy(text, key.data(), key.size());
    if (!value.empty()) {
      text[key.size()] = '=';
      __builtin_memcpy(text + key.size() + 1, value.data(), value.size());
    }
    out[count++] = {text, length};
  }
  return count;
}

Result<uint64_t> spawn_server(Boot& boot, const ManifestEntry& entry) {
  pm_protocol::SpawnRequest request{};
  protocols::set_text(request.module, entry.name.data(), entry.name.size());
  request.priority = kServerPriority;
  request.flags = pm_protocol::kSpawnPrivileged;
  std::string_view arguments[kMaxEntryArguments];
  char storage[kMaxEntryArguments][kResolvedArgumentMax];
  size_t count = resolve_arguments(boot, entry, arguments, storage);
  TRY(pack_spawn_arguments(arguments, count, request));
  protocols::HandleSet handles;
  for (size_t i = 0; i < entry.capability_count; ++i) {
    const char* name = capability_name(entry.capabilities[i].kind);
    protocols::set_text(request.capability_names[i], name, __builtin_strlen(name));
    handles.add(TRY(capability_handle(boot, entry.capabilities[i])));
  }
  pm_protocol::SpawnReply reply = TRY(boot.pm_client.spawn(request, &handles));
  return reply.pid;
}

}  // namespace atoll_os::servers::init
