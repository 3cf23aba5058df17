// init, the first process: starts mm and pm itself, then every other server of the boot
// manifest through pm, and afterwards watches mm and pm (their end is the system's).
//
// The kernel gives init the boot modules, its own task (all rights) and the device
// capabilities (IRQ lines, I/O ports). init has no pager, so it touches no memory the
// kernel or itself did not map.
#include "../lib/boot_modules.h"
#include "../lib/process_builder.h"
#include "atoll/abi/process.h"
#include "atoll/protocols/mm.h"
#include "atoll/protocols/pm.h"
#include "atoll/user/print.h"
#include "atoll/user/runtime.h"
#include "atoll/user/syscalls.h"
#include "eager_loader.h"
#include "lib/command_line.h"
#include "manifest.h"
#include "server_start.h"

namespace atoll_os::servers::init {
namespace {

[[noreturn]] void halt(const char* what, Error error, const char* reason) {
  user::print("init: %s: %s (%s)\n", what, reason, error_name(error));
  user::fatal("boot failed");
}

// node=N on the kernel command line names this node; 0 if absent.
uint64_t node_of(const abi::BootModuleTable& table) {
  Result<kernel::CommandLine> line = kernel::CommandLine::parse(command_line(table));
  if (!line.ok()) return 0;
  Result<uint64_t> node = line->number("node");
  if (!node.ok() || *node > protocols::pm::kMaxNode) return 0;
  return *node;
}

// The boot manifest module, or the built-in one; a malformed manifest stops the boot.
Manifest read_manifest(const abi::BootModuleTable& table) {
  std::string_view text = kDefaultManifest;
  if (Result<Module> module = find_module(table, "boot.manifest"); module.ok()) {
    text = {reinterpret_cast<const char*>(module->bytes.data()), module->bytes.size()};
  } else {
    user::print("init: no boot.manifest module; using the built-in manifest\n");
  }
  ManifestError error{};
  Result<Manifest> manifest = Manifest::parse(text, &error);
  if (!manifest.ok()) {
    user::print("init: boot.manifest line %zu: %s\n", error.line, error.reason);
    user::fatal("bad boot manifest");
  }
  return *manifest;
}

// Reports the end of mm or pm: nothing works without them, so it is worth a loud line.
[[noreturn]] void watch(const Boot& boot) {
  for (;;) {
    Result<uint64_t> bits = user::notification_wait(boot.deaths);
    if (!bits.ok()) user::fatal("cannot wait for server deaths");
    for (const CoreServer* server : {&boot.mm, &boot.pm}) {
      if (!(*bits & server->death_bit)) continue;
      Result<abi::TaskStatus> status = user::task_status(server->task);
      user::print("init: %s ended: state %u, code %ld, fault at %#lx\n", server->name,
                  status.ok() ? static_cast<unsigned>(status->state) : 99u,
                  status.ok() ? status->exit_code : 0, status.ok() ? status->fault_address : 0);
    }
  }
}

}  // namespace
}  // namespace atoll_os::servers::init

int main(int, char**) {
  using namespace atoll_os;
  using namespace atoll_os::servers::init;
  const abi::BootModuleTable* table = user::boot_modules();
  if (table == nullptr) user::fatal("not started by the kernel");
  static Boot boot;
  boot.table = table;
  boot.node = node_of(*table);
  Manifest manifest = read_manifest(*table);
  user::print("init: node %lu, %zu servers in the manifest\n", boot.node, manifest.size());

  const char* reason = "";
  if (Result<void> r = create_endpoints(boot); !r.ok()) halt("endpoints", r.error(), "create");
  if (Result<void> r = start_mm(boot, &reason); !r.ok()) halt("mm", r.error(), reason);
  if (Result<void> r = start_pm(boot, &reason); !r.ok()) halt("pm", r.error(), reason);
  adopt_core_servers(boot);
  for (size_t i = 2; i < manifest.size(); ++i) {
    const ManifestEntry& entry = manifest.at(i);
    Result<uint64_t> pid = spawn_server(boot, entry);
    if (!pid.ok()) {
      user::print("init: %.*s: %s (%s)\n", static_cast<int>(entry.name.size()), entry.name.data(),
                  boot.pm_client.last_reason(), error_name(pid.error()));
      continue;  // the other servers may still be useful
    }
    user::print("init: started %.*s as pid %#lx\n", static_cast<int>(entry.name.size()),
                entry.name.data(), *pid);
  }
  watch(boot);
}
